"""Online booking use cases: register the new patient, hold the chosen time,
record the intake questionnaire, confirm.

Every booking goes through the staff booking path (`appointments.services`): the
chosen time is held with `hold_slot` while the patient answers the questions and
booked with `confirm_hold`, so the same rules and the same race protection apply.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from skinterval.appointments.errors import SlotTaken
from skinterval.appointments.models import Appointment, AppointmentStatus, ServiceType
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    confirm_hold,
)
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.booking.models import BookingPage, IntakeResponse, RefuseOnline
from skinterval.booking.queries import clinic_rules, free_options
from skinterval.clinics.models import Clinic, Location, StaffMember
from skinterval.domain import wallclock
from skinterval.domain.intake import IntakeAnswers, finding_json, screen_intake
from skinterval.patients.models import Patient

HOLD_RELEASED = "hold released"
CHART_PREFIX = "WEB-"
_CHART_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def register_patient(
    *,
    clinic: Clinic,
    given_name: str,
    family_name: str,
    born_on: date,
    email: str,
    phone: str,
) -> Patient:
    """A new patient of the clinic from the public booking form, with a chart
    number of its own (`WEB-` and 8 random letters and digits). Never matched to
    an existing record: typed details prove nobody's identity, so staff merge
    duplicates at the consultation."""
    for _attempt in range(5):
        number = CHART_PREFIX + "".join(
            secrets.choice(_CHART_ALPHABET) for _ in range(8)
        )
        try:
            with transaction.atomic():
                patient = Patient.objects.create(
                    clinic=clinic,
                    chart_number=number,
                    given_name=given_name.strip(),
                    family_name=family_name.strip(),
                    born_on=born_on,
                    email=email.strip(),
                    phone=phone.strip(),
                )
                record_write(patient, AuditAction.CREATE)  # a visitor: anonymous
                return patient
        except IntegrityError:  # pragma: no cover - 32^8 numbers per clinic
            continue
    raise RuntimeError("Could not find a free chart number.")  # pragma: no cover


def hold_public_slot(
    *,
    page: BookingPage,
    patient: Patient,
    service: ServiceType,
    location: Location,
    practitioner: StaffMember | None,
    starts_at: datetime,
    now: datetime,
    hold: bool = True,
) -> Appointment:
    """Hold (or, with `hold=False`, book) a time the public page offers.

    The time must still be one of the page's free times for the service, the
    location and the practitioner (any, when None): the search runs again for
    that day, which also picks the room. Raises `SlotTaken` when it is no longer
    free, and whatever the booking path raises for the rest."""
    day = wallclock.local_date(starts_at, page.clinic.zone)
    options = [
        o
        for o in free_options(
            page,
            service=service,
            location=location,
            practitioner=practitioner,
            first_on=day,
            last_on=day,
            now=now,
            limit=200,
            per_day_limit=None,
        )
        if o.slot.start == starts_at
    ]
    if not options:
        raise SlotTaken(["slot_taken"])
    option = options[0]
    return book_appointment(
        patient=patient,
        service_type=service,
        practitioner=option.practitioner,
        room=option.room,
        device=option.device,
        starts_at=option.slot.start,
        now=now,
        hold_min=page.hold_min if hold else None,
    )


def release_public_hold(*, appointment: Appointment, now: datetime) -> None:
    """Give back a held time the patient no longer wants (they chose another)."""
    if appointment.status == AppointmentStatus.HELD:
        cancel_appointment(appointment=appointment, reason=HOLD_RELEASED, now=now)


def record_intake(
    *,
    patient: Patient,
    answers: IntakeAnswers,
    now: datetime,
    appointment: Appointment | None = None,
) -> IntakeResponse:
    """Keep the answers and the rules' findings from them, as of today."""
    findings = screen_intake(answers, clinic_rules(patient.clinic))
    with transaction.atomic():
        intake = IntakeResponse.objects.create(
            clinic=patient.clinic,
            patient=patient,
            appointment=appointment,
            answered_at=now,
            answered_on=answers.answered_on,
            answers=answers.as_contract(),
            findings=[finding_json(f) for f in findings],
            rules_version=clinic_rules(patient.clinic).rules.rules_version,
            flagged=bool(findings),
        )
        record_write(intake, AuditAction.CREATE)
    return intake


def refuses_online(page: BookingPage, intake: IntakeResponse) -> bool:
    """The clinic's policy says this booking cannot be made online."""
    return page.refuse_online == RefuseOnline.BLOCK and any(
        f.get("severity") == "block" for f in intake.findings
    )


def confirm_public_booking(*, appointment: Appointment, now: datetime) -> Appointment:
    """Book the held time. A hold that lapsed and was released is booked again
    if the time is still free (`SlotTaken` otherwise)."""
    appointment.refresh_from_db()
    if appointment.status == AppointmentStatus.HELD:
        return confirm_hold(appointment=appointment, now=now)
    if appointment.status == AppointmentStatus.BOOKED:
        return appointment
    return book_appointment(
        patient=appointment.patient,
        service_type=appointment.service_type,
        practitioner=appointment.practitioner,
        room=appointment.room,
        device=appointment.device,
        starts_at=appointment.starts_at,
        now=now,
    )


def minutes_left(appointment: Appointment, now: datetime) -> int:
    """Whole minutes left on a hold (0 once it has lapsed)."""
    if appointment.hold_expires_at is None:
        return 0
    left = appointment.hold_expires_at - now
    return max(0, int(left / timedelta(minutes=1)))
