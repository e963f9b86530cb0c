"""Permission-checked reads of check-ins, holds, closure requests and scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, Q, QuerySet, When
from django.http import Http404

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
)
from skinterval.audit.services import record_read
from skinterval.clinics.models import Clinic, StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain.assessment import AREA_ORDER, AREAS
from skinterval.outcomes.models import (
    AccountClosureRequest,
    CheckIn,
    ClosureStatus,
    Score,
    SessionHold,
)
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

# A visit can be scored once the patient has arrived for it.
SCORABLE_STATUSES = (AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED)


def get_check_in_for_staff(user: AnyUser, check_in_id: int) -> CheckIn:
    """A check-in of the caller's own clinic (staff only); 404 otherwise."""
    member = require_staff(user)
    try:
        check_in = CheckIn.objects.select_related(
            "patient", "appointment__plan_session__plan", "reviewed_by", "clinic"
        ).get(clinic_id=member.clinic_id, pk=check_in_id)
    except CheckIn.DoesNotExist:
        raise Http404("No such check-in.") from None
    record_read(check_in, user=user)
    return check_in


def get_hold_for_staff(user: AnyUser, hold_id: int) -> SessionHold:
    member = require_staff(user)
    try:
        hold = SessionHold.objects.select_related("plan_session").get(
            clinic_id=member.clinic_id, pk=hold_id
        )
    except SessionHold.DoesNotExist:
        raise Http404("No such hold.") from None
    record_read(hold, user=user)
    return hold


def checkins_to_review(clinic: Clinic) -> list[CheckIn]:
    """Check-ins that raised an alert and nobody has reviewed yet, newest first."""
    return list(
        CheckIn.objects.filter(
            clinic=clinic, needs_attention=True, reviewed_at__isnull=True
        )
        .select_related("patient", "appointment__plan_session")
        .order_by("-submitted_at")
    )


def patient_check_ins(patient: Patient) -> QuerySet[CheckIn]:
    """The patient's check-ins, oldest first, with their session."""
    return (
        CheckIn.objects.filter(patient=patient)
        .select_related("appointment__plan_session", "reviewed_by")
        .order_by("submitted_at", "pk")
    )


def next_plan_session(check_in: CheckIn) -> PlanSession | None:
    """The planned session after the check-in's session, in the same plan."""
    session = check_in.appointment.plan_session
    if session is None:
        return None
    return PlanSession.objects.filter(
        plan_id=session.plan_id, number=session.number + 1
    ).first()


def active_hold(session: PlanSession) -> SessionHold | None:
    return SessionHold.objects.filter(
        plan_session=session, released_at__isnull=True
    ).first()


def active_holds(plan: Plan) -> dict[int, SessionHold]:
    """The plan's held sessions: planned session id → its active hold."""
    return {
        hold.plan_session_id: hold
        for hold in SessionHold.objects.filter(
            plan_session__plan=plan, released_at__isnull=True
        )
    }


def holds_after(check_in: CheckIn) -> list[SessionHold]:
    """Holds put on after this check-in (active or released)."""
    return list(
        check_in.holds.select_related(
            "plan_session", "held_by", "released_by"
        ).order_by("-held_at")
    )


def open_closure_request(patient: Patient) -> AccountClosureRequest | None:
    return AccountClosureRequest.objects.filter(
        patient=patient, status=ClosureStatus.OPEN
    ).first()


def closure_requests_for_owner(user: AnyUser) -> QuerySet[AccountClosureRequest]:
    """The closure requests of the caller's clinic, open ones first (the clinic
    owner only; 403 for everyone else)."""
    member = require_staff(user, [StaffRole.OWNER])
    return (
        AccountClosureRequest.objects.filter(clinic_id=member.clinic_id)
        .select_related("patient", "handled_by")
        .order_by(
            Case(When(status=ClosureStatus.OPEN, then=0), default=1),
            "-requested_at",
            "-pk",
        )
    )


def get_closure_request_for_owner(
    user: AnyUser, request_id: int
) -> AccountClosureRequest:
    """A closure request of the caller's own clinic (the clinic owner only: 403
    for other roles); 404 for another clinic's."""
    member = require_staff(user, [StaffRole.OWNER])
    try:
        closure = AccountClosureRequest.objects.select_related(
            "patient__clinic", "patient__user", "handled_by", "clinic"
        ).get(clinic_id=member.clinic_id, pk=request_id)
    except AccountClosureRequest.DoesNotExist:
        raise Http404("No such request.") from None
    record_read(closure, user=user)
    return closure


def scores_for_patient(patient: Patient) -> QuerySet[Score]:
    """The patient's scores, oldest first, with the visit and scorer. The caller
    has already loaded the patient through a permission-checked loader."""
    return (
        Score.objects.filter(patient=patient, clinic_id=patient.clinic_id)
        .select_related("appointment__plan_session", "scored_by")
        .order_by("scored_on", "created_at", "pk")
    )


def treatment_visits(patient: Patient) -> QuerySet[Appointment]:
    """Sessions of the patient's plans and review visits that took place (the
    patient arrived), oldest first: the visits a progress chart marks."""
    return (
        Appointment.objects.filter(
            patient=patient,
            clinic_id=patient.clinic_id,
            status__in=SCORABLE_STATUSES,
        )
        .filter(
            Q(plan_session__isnull=False) | Q(service_type__kind=ServiceKind.REVIEW)
        )
        .select_related("plan_session", "service_type")
        .order_by("starts_at")
    )


def scorable_visit(patient: Patient) -> Appointment | None:
    """The latest session or review visit that took place: what a score the
    patient reports now is about (None before their first session)."""
    return treatment_visits(patient).order_by("-starts_at").first()


def plan_in_force(patient: Patient, appointment: Appointment | None) -> Plan | None:
    """The plan version a score belongs to: the session's own plan, else the
    patient's approved plan (None before any plan is approved)."""
    if appointment is not None and appointment.plan_session_id is not None:
        return Plan.objects.get(sessions__pk=appointment.plan_session_id)
    return Plan.objects.filter(patient=patient, status=PlanStatus.APPROVED).first()


def areas_to_score(patient: Patient, plan: Plan | None) -> list[str]:
    """The areas offered when scoring: those the plan treats and the assessment
    found scarred, plus any already scored; every area when there is no plan."""
    found: set[str] = set()
    if plan is not None:
        for key, rows in (("areas", plan.plan), ("scars", plan.assessment)):
            for row in (rows or {}).get(key) or []:
                if isinstance(row, dict) and row.get("area") in AREA_ORDER:
                    found.add(str(row["area"]))
    found.update(
        Score.objects.filter(patient=patient).values_list("area", flat=True).distinct()
    )
    if not found:
        return list(AREAS)
    return sorted(found, key=lambda a: AREA_ORDER.get(a, len(AREA_ORDER)))
