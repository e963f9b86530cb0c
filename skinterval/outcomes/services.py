"""Check-in use cases: a patient files one; a practitioner reviews it and may hold
the next session; a patient asks for their account to be closed. Scores: a
practitioner (or, for patient-reported scales, the patient) records one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
)
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.domain.assessment import AREAS
from skinterval.domain.checkins import CheckInAnswers, attention_reasons
from skinterval.domain.scales import ScaleError, get_scale
from skinterval.outcomes.models import (
    AccountClosureRequest,
    CheckIn,
    ClosureStatus,
    Score,
    ScoreOccasion,
    SessionHold,
)
from skinterval.outcomes.queries import (
    SCORABLE_STATUSES,
    active_hold,
    next_plan_session,
    plan_in_force,
)
from skinterval.patients.models import Patient
from skinterval.plans.replanning import on_score_recorded

REASON_MAX_CHARS = 500


class OutcomeRefused(Exception):
    """The step cannot be done; the message says why, in the user's language."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def day_after_session(appointment: Appointment, now: datetime) -> int:
    """Days since the session on the clinic's calendar (0 on the day itself)."""
    zone = appointment.clinic.zone
    return (
        wallclock.local_date(now, zone)
        - wallclock.local_date(appointment.starts_at, zone)
    ).days


def submit_check_in(
    *,
    patient: Patient,
    appointment: Appointment,
    answers: CheckInAnswers,
    now: datetime,
) -> CheckIn:
    """Record a patient's check-in after one of their completed sessions, with the
    reasons (if any) the clinic's alert policy finds in it."""
    if appointment.patient_id != patient.pk or appointment.clinic_id != (
        patient.clinic_id
    ):
        raise PermissionDenied("A patient checks in only about their own sessions.")
    if (
        appointment.plan_session_id is None
        or appointment.status != AppointmentStatus.COMPLETED
    ):
        raise OutcomeRefused(
            _("Check-ins are for sessions that have taken place."),
            code="not_completed",
        )
    day_after = day_after_session(appointment, now)
    if day_after < 0:  # pragma: no cover - a completed session is not in the future
        raise OutcomeRefused(_("This session has not happened yet."), code="future")
    reasons = attention_reasons(answers, day_after=day_after)
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            appointment=appointment,
            day_after=day_after,
            redness=int(answers.redness),
            swelling=int(answers.swelling),
            itching=int(answers.itching),
            pain=answers.pain,
            unexpected=answers.unexpected.strip(),
            submitted_at=now,
            needs_attention=bool(reasons),
            attention_reasons=list(reasons),
        )
        record_write(check_in, AuditAction.CREATE)  # the patient's login
    return check_in


def _require_practitioner(member: StaffMember, clinic_id: int) -> None:
    if member.clinic_id != clinic_id or member.role != StaffRole.PRACTITIONER:
        raise PermissionDenied("Only the clinic's practitioners review check-ins.")


def review_check_in(
    *, check_in: CheckIn, reviewed_by: StaffMember, now: datetime
) -> CheckIn:
    """Mark a check-in as looked at; it leaves the dashboard. Reviewing twice
    keeps the first review."""
    _require_practitioner(reviewed_by, check_in.clinic_id)
    with transaction.atomic():
        row = CheckIn.objects.select_for_update().get(pk=check_in.pk)
        if row.reviewed_at is None:
            row.reviewed_by = reviewed_by
            row.reviewed_at = now
            row.save(update_fields=["reviewed_by", "reviewed_at"])
            record_write(row, AuditAction.UPDATE, by=reviewed_by)
    return row


def hold_next_session(
    *, check_in: CheckIn, held_by: StaffMember, reason: str, now: datetime
) -> SessionHold:
    """Hold the planned session after the check-in's session: the patient can no
    longer book or move it in the portal until a practitioner releases it."""
    _require_practitioner(held_by, check_in.clinic_id)
    session = next_plan_session(check_in)
    if session is None:
        raise OutcomeRefused(
            _("There is no later session in this plan to hold."), code="no_next"
        )
    with transaction.atomic():
        if active_hold(session) is not None:
            raise OutcomeRefused(
                _("Session %(n)d is already on hold.") % {"n": session.number},
                code="already_held",
            )
        try:
            with transaction.atomic():
                hold = SessionHold.objects.create(
                    clinic_id=check_in.clinic_id,
                    plan_session=session,
                    check_in=check_in,
                    reason=reason.strip()[:REASON_MAX_CHARS],
                    held_by=held_by,
                    held_at=now,
                )
                record_write(hold, AuditAction.CREATE, by=held_by)
                return hold
        except IntegrityError:  # a racing hold on the same session won
            raise OutcomeRefused(
                _("Session %(n)d is already on hold.") % {"n": session.number},
                code="already_held",
            ) from None


def release_session_hold(
    *, hold: SessionHold, released_by: StaffMember, now: datetime
) -> SessionHold:
    _require_practitioner(released_by, hold.clinic_id)
    with transaction.atomic():
        row = SessionHold.objects.select_for_update().get(pk=hold.pk)
        if row.released_at is None:
            row.released_by = released_by
            row.released_at = now
            row.save(update_fields=["released_by", "released_at"])
            record_write(row, AuditAction.UPDATE, by=released_by)
    return row


def request_account_closure(
    *, patient: Patient, reason: str, now: datetime
) -> AccountClosureRequest:
    """Record the patient's request for the clinic to close their account. Nothing
    is deleted: clinical records are kept for as long as the law requires. A
    second request while one is open returns the open one."""
    with transaction.atomic():
        existing = AccountClosureRequest.objects.filter(
            patient=patient, status=ClosureStatus.OPEN
        ).first()
        if existing is not None:
            return existing
        closure = AccountClosureRequest.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            reason=reason.strip(),
            requested_at=now,
        )
        record_write(closure, AuditAction.CREATE)  # the patient's login
    return closure


# --- Scores -------------------------------------------------------------------------

# Scales a patient can fill in themselves (in the portal); every other scale is
# scored by a practitioner.
PATIENT_REPORTED_SCALES: tuple[str, ...] = ("patient_global_0_10", "posas2_patient")


class ScoreRefused(OutcomeRefused):
    """A score that cannot be recorded. ``problems`` holds every problem the domain
    scale found in the item scores (empty when the refusal is about something
    else: the visit, the area, a duplicate)."""

    def __init__(
        self, message: str, *, code: str, problems: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.problems = problems


def occasion_for_visit(appointment: Appointment | None) -> ScoreOccasion:
    """What a score taken at this visit is. Scores are taken before treating, so
    the first session of a course (no treatment session attended before it)
    gives the baseline, as do a consultation and no visit at all; later sessions
    give session scores; a review visit, review scores."""
    if appointment is None:
        return ScoreOccasion.BASELINE
    if appointment.plan_session_id is not None:
        treated_before = Appointment.objects.filter(
            patient_id=appointment.patient_id,
            plan_session__isnull=False,
            status__in=SCORABLE_STATUSES,
            starts_at__lt=appointment.starts_at,
        ).exists()
        return ScoreOccasion.SESSION if treated_before else ScoreOccasion.BASELINE
    if appointment.service_type.kind == ServiceKind.REVIEW:
        return ScoreOccasion.REVIEW
    return ScoreOccasion.BASELINE


def occasion_for_patient_report(visit: Appointment | None) -> ScoreOccasion:
    """A patient rates their scars at home, after their latest visit: after a
    session (even the first) it is a session score, after a review visit a
    review score, before any treatment the baseline."""
    if visit is None:
        return ScoreOccasion.BASELINE
    if visit.plan_session_id is not None:
        return ScoreOccasion.SESSION
    if visit.service_type.kind == ServiceKind.REVIEW:
        return ScoreOccasion.REVIEW
    return ScoreOccasion.BASELINE


def _check_visit(
    *, patient: Patient, occasion: ScoreOccasion, appointment: Appointment | None
) -> None:
    if appointment is None:
        if occasion != ScoreOccasion.BASELINE:
            raise ScoreRefused(
                _("Session and review scores are recorded at a visit."),
                code="no_visit",
            )
        return
    if appointment.patient_id != patient.pk or appointment.clinic_id != (
        patient.clinic_id
    ):
        raise PermissionDenied("A score is recorded at the patient's own visits.")
    if occasion == ScoreOccasion.SESSION and appointment.plan_session_id is None:
        raise ScoreRefused(
            _("This visit is not a session of the patient's plan."),
            code="wrong_visit",
        )
    if (
        occasion == ScoreOccasion.REVIEW
        and appointment.service_type.kind != ServiceKind.REVIEW
    ):
        raise ScoreRefused(_("This visit is not a review visit."), code="wrong_visit")
    if appointment.status not in SCORABLE_STATUSES:
        raise ScoreRefused(
            _("Scores are recorded at visits that have taken place."),
            code="not_attended",
        )


def record_score(
    *,
    patient: Patient,
    area: str,
    scale: str,
    items: Mapping[str, int],
    occasion: ScoreOccasion | str,
    appointment: Appointment | None = None,
    scored_by: StaffMember | None,
    now: datetime,
) -> Score:
    """Record one area's item scores on one scale, with the total the domain scale
    computes and the scale version it used.

    ``scored_by`` is a practitioner of the patient's clinic, or None when the
    patient reports the score themselves (patient-reported scales only).
    ``scored_on`` is the visit's clinic-local date when staff score a visit (a
    score entered after the visit still belongs to it), otherwise the clinic-local
    date of ``now``. One score per area and scale per visit (or per baseline day)
    and per reporter (staff or patient); a second is refused, not overwritten.
    """
    try:
        occasion = ScoreOccasion(occasion)
    except ValueError:
        raise ScoreRefused(_("Unknown occasion."), code="occasion") from None
    if scored_by is not None and (
        scored_by.clinic_id != patient.clinic_id
        or scored_by.role != StaffRole.PRACTITIONER
    ):
        raise PermissionDenied("Only the clinic's practitioners record scores.")
    try:
        domain_scale = get_scale(scale)
    except ScaleError:
        raise ScoreRefused(_("Unknown scale."), code="scale") from None
    if scored_by is None and scale not in PATIENT_REPORTED_SCALES:
        raise ScoreRefused(
            _("This scale is scored by a practitioner."), code="not_patient_scale"
        )
    if area not in AREAS:
        raise ScoreRefused(_("Unknown area."), code="area")
    _check_visit(patient=patient, occasion=occasion, appointment=appointment)
    try:
        scored = domain_scale.score(items)
    except ScaleError as exc:
        raise ScoreRefused(
            _("Some item scores are not valid for this scale."),
            code="items",
            problems=exc.problems,
        ) from None

    zone = patient.clinic.zone
    if appointment is not None and scored_by is not None:
        scored_on = wallclock.local_date(appointment.starts_at, zone)
    else:
        scored_on = wallclock.local_date(now, zone)

    with transaction.atomic():
        # One writer per patient at a time, so the duplicate check holds.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        same = Score.objects.filter(
            patient=patient,
            area=area,
            scale=scale,
            scored_by__isnull=scored_by is None,
        )
        if appointment is not None:
            same = same.filter(appointment=appointment)
        else:
            same = same.filter(
                appointment__isnull=True, occasion=occasion, scored_on=scored_on
            )
        if same.exists():
            raise ScoreRefused(
                _("This area has already been scored on this scale for this visit."),
                code="duplicate",
            )
        score = Score.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            plan=plan_in_force(patient, appointment),
            appointment=appointment,
            occasion=occasion,
            area=area,
            scale=scored.scale_id,
            scale_version=scored.version,
            items=dict(scored.items),
            total=Decimal(scored.total),
            scored_on=scored_on,
            scored_by=scored_by,
        )
        on_score_recorded(score)  # re-plan proposal: skinterval.plans.replanning
        # A practitioner's score, or (scored_by None) the patient's own login.
        record_write(score, AuditAction.CREATE, by=scored_by)
        return score
