"""What a patient does to their own appointments in the portal.

Booking and moving go through the appointment services with no override reason,
so a day outside the session's window is refused (`OutsideWindow`), exactly as it
is for staff without a reason. On top of those rules the portal adds the clinic's
notice period for cancelling and moving, and a practitioner's hold on a session
(`outcomes.SessionHold`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from skinterval.appointments.errors import OutsideWindow
from skinterval.appointments.models import Appointment
from skinterval.appointments.queries import SlotOption
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from skinterval.clinics.models import Device, Room, StaffMember
from skinterval.outcomes.queries import active_hold
from skinterval.patients.models import Patient
from skinterval.plans.models import PlanSession, PlanStatus
from skinterval.portal.policy import PortalPolicy, policy_for
from skinterval.portal.queries import session_service

CHOICE_SALT = "skinterval.portal.slot"
CHOICE_MAX_AGE_S = 30 * 60
CANCELLED_BY_PATIENT = "cancelled by the patient in the portal"


class PortalRefused(Exception):
    """The patient cannot do this online; the message says why and what to do."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class SlotChoice:
    """A time the portal offered, read back from a signed form value."""

    starts_at: datetime
    practitioner: StaffMember
    room: Room | None
    device: Device | None


def sign_choice(option: SlotOption, *, target: str) -> str:
    """A tamper-proof form value for an offered slot. `target` names what it is
    for ("s<plan session id>" or "a<appointment id>"), so a value offered for one
    session cannot be replayed for another."""
    return signing.dumps(
        {
            "t": target,
            "start": option.slot.start.isoformat(),
            "p": option.practitioner.pk,
            "r": option.room.pk if option.room else None,
            "d": option.device.pk if option.device else None,
        },
        salt=CHOICE_SALT,
    )


def read_choice(value: str, *, target: str, clinic_id: int) -> SlotChoice | None:
    """The slot behind a signed value, with the clinic's own rows; None when the
    value is forged, stale, for another target or names another clinic's rows."""
    try:
        data: dict[str, Any] = signing.loads(
            value, salt=CHOICE_SALT, max_age=CHOICE_MAX_AGE_S
        )
        if data.get("t") != target:
            return None
        starts_at = datetime.fromisoformat(data["start"])
        practitioner = StaffMember.objects.get(clinic_id=clinic_id, pk=data["p"])
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return None
    except StaffMember.DoesNotExist:
        return None
    room = (
        Room.objects.filter(clinic_id=clinic_id, pk=data["r"]).first()
        if data.get("r")
        else None
    )
    device = (
        Device.objects.filter(clinic_id=clinic_id, pk=data["d"]).first()
        if data.get("d")
        else None
    )
    return SlotChoice(starts_at, practitioner, room, device)


def late_change_message(policy: PortalPolicy) -> str:
    hours = policy.cancellation_notice_hours
    if policy.phone:
        return _(
            "Appointments can be cancelled or moved online up to %(hours)d hours "
            "before they start. It is later than that now: please call the clinic "
            "on %(phone)s."
        ) % {"hours": hours, "phone": policy.phone}
    return _(
        "Appointments can be cancelled or moved online up to %(hours)d hours "
        "before they start. It is later than that now: please call the clinic."
    ) % {"hours": hours}


def window_message(session: PlanSession) -> str:
    """Why a day outside the window is refused, with the window's dates."""
    return _(
        "Session %(n)d can only be booked between %(first)s and %(last)s: your "
        "plan sets this window for the time between sessions. For a day outside "
        "it, please talk to the clinic."
    ) % {
        "n": session.number,
        "first": date_format(session.earliest_on, "l j F Y"),
        "last": date_format(session.latest_on, "l j F Y"),
    }


def held_message(session: PlanSession) -> str:
    return _(
        "Your clinic would like to check how your skin is healing before session "
        "%(n)d, so it cannot be booked or moved online for now. The clinic will "
        "contact you."
    ) % {"n": session.number}


def _check_own_session(patient: Patient, session: PlanSession) -> None:
    plan = session.plan
    if plan.patient_id != patient.pk:
        raise PermissionDenied("A patient books only their own sessions.")
    if plan.status != PlanStatus.APPROVED:
        raise PortalRefused(
            _("Only sessions of your approved plan can be booked."),
            code="plan_not_approved",
        )
    if active_hold(session) is not None:
        raise PortalRefused(held_message(session), code="held")


def book_own_session(
    *, patient: Patient, plan_session: PlanSession, choice: SlotChoice, now: datetime
) -> Appointment:
    """Book a session of the patient's approved plan at an offered time inside its
    window. Raises PortalRefused or the booking services' BookingError."""
    _check_own_session(patient, plan_session)
    service = session_service(patient.clinic_id)
    if service is None:
        raise PortalRefused(
            _("The clinic does not take online bookings for sessions yet."),
            code="no_service",
        )
    try:
        return book_appointment(
            patient=patient,
            service_type=service,
            practitioner=choice.practitioner,
            room=choice.room,
            device=choice.device,
            starts_at=choice.starts_at,
            now=now,
            plan_session=plan_session,
            override_reason="",  # patients never book outside the window
            booked_by=None,
        )
    except OutsideWindow:
        plan_session.refresh_from_db()
        raise PortalRefused(
            window_message(plan_session), code="outside_window"
        ) from None


def _check_changeable(
    patient: Patient, appointment: Appointment, now: datetime
) -> None:
    if appointment.patient_id != patient.pk:
        raise PermissionDenied("A patient changes only their own appointments.")
    policy = policy_for(patient.clinic)
    if not policy.allows_change(appointment.starts_at, now):
        raise PortalRefused(late_change_message(policy), code="late")


def move_own_appointment(
    *, patient: Patient, appointment: Appointment, choice: SlotChoice, now: datetime
) -> Appointment:
    """Move the patient's planned session to an offered time inside its window,
    no later than the clinic's notice period before it starts."""
    _check_changeable(patient, appointment, now)
    session = appointment.plan_session
    if session is None:
        raise PortalRefused(
            _("Only treatment sessions can be moved online; please call the clinic."),
            code="not_a_session",
        )
    _check_own_session(patient, session)
    try:
        return reschedule_appointment(
            appointment=appointment,
            starts_at=choice.starts_at,
            now=now,
            practitioner=choice.practitioner,
            room=choice.room,
            device=choice.device,
            override_reason="",  # patients never move outside the window
        )
    except OutsideWindow:
        session.refresh_from_db()
        raise PortalRefused(window_message(session), code="outside_window") from None


def cancel_own_appointment(
    *, patient: Patient, appointment: Appointment, now: datetime
) -> Appointment:
    """Cancel the patient's appointment, no later than the clinic's notice period
    before it starts."""
    _check_changeable(patient, appointment, now)
    return cancel_appointment(
        appointment=appointment, reason=CANCELLED_BY_PATIENT, now=now
    )
