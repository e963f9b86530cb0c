"""What the portal reads about the logged-in patient, and only about them.

Every function takes the patient record loaded by `own_patient_record` (the
login's own); ids from the address are looked up inside that patient's rows, so
another patient's id is simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.http import Http404

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.queries import (
    SlotOption,
    find_slots_for,
    planned_max_depth_mm,
)
from skinterval.domain import wallclock
from skinterval.outcomes.models import SessionHold
from skinterval.outcomes.queries import active_holds
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus
from skinterval.portal.policy import PortalPolicy, policy_for

CHANGEABLE = (AppointmentStatus.HELD, AppointmentStatus.BOOKED)


def approved_plan(patient: Patient) -> Plan | None:
    """The patient's approved plan (at most one), or None."""
    return Plan.objects.filter(patient=patient, status=PlanStatus.APPROVED).first()


def own_appointments(patient: Patient) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(patient=patient)
        .exclude(status=AppointmentStatus.HELD)
        .select_related(
            "service_type", "practitioner", "location", "plan_session__plan"
        )
        .order_by("starts_at", "pk")
    )


def own_appointment(patient: Patient, appointment_id: int) -> Appointment:
    """One of the patient's own appointments; 404 for anyone else's."""
    try:
        return Appointment.objects.select_related(
            "clinic", "service_type", "practitioner", "plan_session__plan"
        ).get(patient=patient, pk=appointment_id)
    except Appointment.DoesNotExist:
        raise Http404("No such appointment.") from None


def own_plan_session(patient: Patient, number: int) -> PlanSession:
    """Session `number` of the patient's approved plan; 404 otherwise."""
    try:
        return PlanSession.objects.select_related("plan__clinic", "plan__patient").get(
            plan__patient=patient, plan__status=PlanStatus.APPROVED, number=number
        )
    except PlanSession.DoesNotExist:
        raise Http404("No such session.") from None


def session_service(clinic_id: int) -> ServiceType | None:
    """The clinic's micro-needling service (what a planned session is booked as)."""
    return ServiceType.objects.filter(
        clinic_id=clinic_id, kind=ServiceKind.MICRONEEDLING, is_active=True
    ).first()


def completed_sessions(patient: Patient) -> QuerySet[Appointment]:
    """The patient's completed planned sessions, latest first."""
    return (
        Appointment.objects.filter(
            patient=patient,
            status=AppointmentStatus.COMPLETED,
            plan_session__isnull=False,
        )
        .select_related("clinic", "plan_session__plan")
        .order_by("-starts_at", "-pk")
    )


@dataclass
class SessionRow:
    """One planned session of the approved plan, as the patient may act on it."""

    session: PlanSession
    appointment: Appointment | None
    hold: SessionHold | None
    state: str  # done | booked | bookable | waiting | closed | held
    can_change: bool = False  # move or cancel online
    can_cancel: bool = False  # cancel online (also while the session is held)
    last_change_at: datetime | None = None


def session_rows(
    plan: Plan, *, today: date, now: datetime, policy: PortalPolicy
) -> list[SessionRow]:
    """Each session with its appointment and what the patient may do: book it
    (inside its window, once the session before it is booked), or move or cancel
    its appointment (until the clinic's notice period)."""
    holds = active_holds(plan)
    active = {
        a.plan_session_id: a
        for a in Appointment.objects.filter(plan_session__plan=plan)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("practitioner", "location")
    }
    rows: list[SessionRow] = []
    earlier_unbooked = False
    for session in plan.sessions.order_by("number"):
        appointment = active.get(session.pk)
        hold = holds.get(session.pk)
        row = SessionRow(session=session, appointment=appointment, hold=hold, state="")
        if appointment is not None:
            if appointment.status in CHANGEABLE:
                row.state = "booked"
                row.last_change_at = policy.last_online_change_at(appointment.starts_at)
                row.can_cancel = policy.allows_change(appointment.starts_at, now)
                row.can_change = row.can_cancel and hold is None
            else:
                row.state = "done"
        elif hold is not None:
            row.state = "held"
        elif earlier_unbooked:
            row.state = "waiting"
        elif session.latest_on < today:
            row.state = "closed"
        else:
            row.state = "bookable"
        if appointment is None:
            earlier_unbooked = True
        rows.append(row)
    return rows


def local_today(patient: Patient, now: datetime) -> date:
    return wallclock.local_date(now, patient.clinic.zone)


def portal_policy(patient: Patient) -> PortalPolicy:
    return policy_for(patient.clinic)


def slots_on_day(
    session: PlanSession,
    service: ServiceType,
    day: date,
    *,
    now: datetime,
    exclude_appointment_id: int | None = None,
    limit: int = 8,
) -> list[SlotOption]:
    """Free times for a planned session on one day of its window (as
    `slots_for_plan_session` searches the whole window)."""
    if not session.window_contains(day):
        return []
    plan = session.plan
    return find_slots_for(
        clinic=plan.clinic,
        service=service,
        first_on=day,
        last_on=day,
        target_on=session.target_on,
        now=now,
        patient=plan.patient,
        min_device_depth_mm=planned_max_depth_mm(plan.plan),
        limit=limit,
        per_day_limit=None,
        exclude_appointment_id=exclude_appointment_id,
    )
