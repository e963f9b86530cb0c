"""Plan use cases: create a plan version from an assessment, override it, approve it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from skinterval.appointments.services import carry_bookings_over
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.clinics.models import QualificationKind, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.domain.assessment import parse_assessment
from skinterval.domain.plan import DepthRange, IntervalWindow, SeriesPlan
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL, Protocol
from skinterval.domain.render import plan_to_dict
from skinterval.domain.ruleset import load_rules
from skinterval.patients.models import Patient
from skinterval.plans.models import (
    OverrideElement,
    Plan,
    PlanOverride,
    PlanSession,
    PlanStatus,
    ReplanProposal,
)
from skinterval.plans.overrides import (
    REASON_MAX_CHARS,
    InvalidOverride,
    PlanChanges,
    changed,
    check_limits,
    check_reflected,
    current_values,
    merged,
    replan,
)
from skinterval.plans.queries import override_history
from skinterval.reminders import services as messages


def create_plan(
    *,
    patient: Patient,
    assessment: dict[str, Any],
    created_by: StaffMember,
    protocol: Protocol = DEFAULT_PROTOCOL,
) -> Plan:
    """Run the planning engine on an assessment and store the result as the
    patient's next plan version, awaiting approval.

    Raises `skinterval.domain.errors.InvalidInput` (with one message per problem,
    each naming its field) when the assessment does not satisfy the contract.
    """
    if created_by.clinic_id != patient.clinic_id or created_by.role != (
        StaffRole.PRACTITIONER
    ):
        raise PermissionDenied("Only the clinic's practitioners create plans.")
    parsed = parse_assessment(assessment)
    result = plan_series(parsed, protocol)
    with transaction.atomic():
        plan = save_version(
            patient=patient,
            assessment=assessment,
            result=result,
            assessed_on=parsed.assessed_on,
            created_by=created_by,
        )
        record_write(plan, AuditAction.CREATE, by=created_by)
    return plan


def save_version(
    *,
    patient: Patient,
    assessment: dict[str, Any],
    result: SeriesPlan,
    assessed_on: date,
    created_by: StaffMember,
    derived_from: Plan | None = None,
) -> Plan:
    """Store an engine result as the patient's next plan version with its sessions
    (call inside a transaction)."""
    latest = Plan.objects.filter(patient=patient).aggregate(v=Max("version"))["v"]
    plan = Plan.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        version=(latest or 0) + 1,
        assessed_on=assessed_on,
        assessment=assessment,
        plan=plan_to_dict(result),
        rules_version=result.rules_version,
        decision=result.decision,
        requires_physician_review=result.requires_physician_review,
        interval_min_days=result.interval_days.min,
        interval_target_days=result.interval_days.target,
        interval_max_days=result.interval_days.max,
        created_by=created_by,
        derived_from=derived_from,
    )
    PlanSession.objects.bulk_create(
        PlanSession(
            clinic_id=patient.clinic_id,
            plan=plan,
            number=row.number,
            earliest_on=row.earliest_on,
            target_on=row.target_on,
            latest_on=row.latest_on,
        )
        for row in result.schedule
    )
    return plan


class OverrideRefused(Exception):
    """The plan cannot be overridden in its state (approved, superseded, declined)."""


def override_plan(
    *,
    plan: Plan,
    overridden_by: StaffMember,
    changes: PlanChanges,
    reason: str,
    now: datetime,
) -> Plan:
    """A practitioner overrides elements of a draft plan, with a written reason.

    `changes` holds the values asked for; elements equal to the plan's are not
    changes. The engine plans the stored assessment again with the changed values and
    every earlier override of this lineage (see `skinterval.plans.overrides`); the
    result becomes the patient's next version, a draft made from `plan` (same
    assessment, so `created_by` stays the assessing practitioner), and `plan` is
    superseded. One `PlanOverride` row per changed element records who, when, the
    old and new value and the reason. Approval is unchanged: the new draft still
    needs a physician when its findings say so.

    Raises `PermissionDenied` for anyone but the clinic's practitioners,
    `OverrideRefused` when `plan` is not an overridable draft (also when another
    change got there first), and `InvalidOverride` (messages per form field) for a
    blank reason, no change, or a value across a hard limit.
    """
    if overridden_by.clinic_id != plan.clinic_id or overridden_by.role != (
        StaffRole.PRACTITIONER
    ):
        raise PermissionDenied("Only the clinic's practitioners override plans.")
    check_overridable(plan)
    reason = reason.strip()
    current = current_values(plan.plan)
    diff = changed(changes, current)
    rules = load_rules()
    errors = check_limits(diff, plan.plan, rules)
    if not reason:
        errors.setdefault("reason", []).append(_("Say why the plan is changed."))
    elif len(reason) > REASON_MAX_CHARS:
        errors.setdefault("reason", []).append(
            _("At most %(n)s characters.") % {"n": REASON_MAX_CHARS}
        )
    if diff.is_empty() and not errors:
        errors[None] = [_("Nothing was changed: change at least one value.")]
    if errors:
        raise InvalidOverride(errors)
    history = override_history(plan)
    effective = merged(_history_values(history), diff)
    result = replan(parse_assessment(plan.assessment), effective, rules)
    errors = check_reflected(result, effective)
    if errors:
        raise InvalidOverride(errors)
    try:
        with transaction.atomic():
            superseded = Plan.objects.filter(
                pk=plan.pk, status=PlanStatus.DRAFT
            ).update(status=PlanStatus.SUPERSEDED)
            if superseded != 1:
                raise OverrideRefused(
                    _("This plan was changed meanwhile; reload it and try again.")
                )
            new = save_version(
                patient=plan.patient,
                assessment=plan.assessment,
                result=result,
                assessed_on=plan.assessed_on,
                created_by=plan.created_by,
                derived_from=plan,
            )
            PlanOverride.objects.bulk_create(
                _override_rows(new, diff, current, overridden_by, reason, now)
            )
            record_write(plan, AuditAction.UPDATE, by=overridden_by)  # superseded
            record_write(new, AuditAction.CREATE, by=overridden_by)
    except IntegrityError:  # a version saved at the same moment took the number
        raise OverrideRefused(
            _("Another version was saved at the same moment; reload and try again.")
        ) from None
    plan.status = PlanStatus.SUPERSEDED
    return new


def check_overridable(plan: Plan) -> None:
    """Refuse (`OverrideRefused`) a plan that is not a draft with a treatment."""
    if plan.status != PlanStatus.DRAFT:
        raise OverrideRefused(
            _(
                "Only a plan awaiting approval can be overridden; this version is "
                "%(status)s. Make a new plan instead."
            )
            % {"status": plan.get_status_display().lower()}
        )
    if plan.decision == "decline":
        raise OverrideRefused(_("A declined plan has no treatment to change."))
    if ReplanProposal.objects.filter(new_plan=plan).exists():
        # Overriding plans the assessment again from session 1: the re-plan's
        # remaining windows and lowered depths would be lost (decision 0013).
        raise OverrideRefused(
            _(
                "This version was made by accepting a re-plan proposal, so it cannot "
                "be overridden: approve it, or make a new plan from a new assessment."
            )
        )


def _history_values(history: list[PlanOverride]) -> PlanChanges:
    """The values of earlier overrides (oldest first; a later one wins)."""
    values = PlanChanges()
    for row in history:
        v = row.new_value
        if row.element == OverrideElement.INTERVAL:
            step = PlanChanges(
                interval_days=IntervalWindow(v["min"], v["target"], v["max"])
            )
        elif row.element == OverrideElement.SESSIONS:
            step = PlanChanges(sessions=int(v))
        else:
            step = PlanChanges(depth_mm={row.area: DepthRange(v["min"], v["max"])})
        values = merged(values, step)
    return values


def _override_rows(
    plan: Plan,
    diff: PlanChanges,
    current: PlanChanges,
    by: StaffMember,
    reason: str,
    now: datetime,
) -> list[PlanOverride]:
    common: dict[str, Any] = {
        "clinic_id": plan.clinic_id,
        "plan": plan,
        "reason": reason,
        "overridden_by": by,
        "overridden_at": now,
    }
    rows: list[PlanOverride] = []
    if diff.interval_days is not None:
        rows.append(
            PlanOverride(
                element=OverrideElement.INTERVAL,
                old_value=_window(current.interval_days),
                new_value=_window(diff.interval_days),
                **common,
            )
        )
    if diff.sessions is not None:
        rows.append(
            PlanOverride(
                element=OverrideElement.SESSIONS,
                old_value=current.sessions,
                new_value=diff.sessions,
                **common,
            )
        )
    for area, depth in diff.depth_mm.items():
        old = current.depth_mm[area]
        rows.append(
            PlanOverride(
                element=OverrideElement.DEPTH,
                area=area,
                old_value={"min": old.min, "max": old.max},
                new_value={"min": depth.min, "max": depth.max},
                **common,
            )
        )
    return rows


def _window(iv: IntervalWindow | None) -> dict[str, int] | None:
    if iv is None:
        return None
    return {"min": iv.min, "target": iv.target, "max": iv.max}


class ApprovalRefused(Exception):
    """The plan cannot be approved by this person or in this state."""


def approve_plan(*, plan: Plan, approved_by: StaffMember, now: datetime) -> Plan:
    """A practitioner approves a draft; findings that need physician review may be
    approved only by a practitioner qualified as a physician. The patient's earlier
    approved plan, if any, is superseded, and its bookings still to come follow
    the new version (`appointments.services.carry_bookings_over`)."""
    if approved_by.clinic_id != plan.clinic_id or approved_by.role != (
        StaffRole.PRACTITIONER
    ):
        raise ApprovalRefused("Only the clinic's practitioners approve plans.")
    if plan.status != PlanStatus.DRAFT:
        raise ApprovalRefused("Only a plan awaiting approval can be approved.")
    if plan.decision == "decline":
        raise ApprovalRefused("A declined plan has no sessions to approve.")
    today = wallclock.local_date(now, plan.clinic.zone)
    if plan.requires_physician_review and not is_physician(approved_by, today):
        raise ApprovalRefused(
            "This plan has findings that need a physician's review; a practitioner "
            "qualified as a physician must approve it."
        )
    try:
        with transaction.atomic():
            _approve(plan, approved_by, now)
    except IntegrityError:  # another of the patient's plans approved meanwhile
        raise ApprovalRefused(
            "Another plan of this patient was approved at the same moment; "
            "reload and check which one is approved."
        ) from None
    return plan


def _approve(plan: Plan, approved_by: StaffMember, now: datetime) -> None:
    """The approval's writes, in its transaction: the draft is checked again
    under its row lock (a second click, or a colleague, may have got there
    first), the patient's approved plan is superseded and its bookings to come
    follow the new version."""
    if (
        Plan.objects.select_for_update()
        .filter(pk=plan.pk)
        .values_list("status", flat=True)
        .first()
        != PlanStatus.DRAFT
    ):
        raise ApprovalRefused("Only a plan awaiting approval can be approved.")
    earlier = list(
        Plan.objects.select_for_update().filter(
            patient=plan.patient, status=PlanStatus.APPROVED
        )
    )
    Plan.objects.filter(pk__in=[p.pk for p in earlier]).update(
        status=PlanStatus.SUPERSEDED
    )
    plan.status = PlanStatus.APPROVED
    plan.approved_by = approved_by
    plan.approved_at = now
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    for superseded in earlier:
        carry_bookings_over(superseded=superseded, approved=plan, by=approved_by)
    messages.schedule_for_plan(plan=plan, now=now)
    record_write(plan, AuditAction.UPDATE, by=approved_by)


def is_physician(member: StaffMember, on: date) -> bool:
    """Holds a physician qualification valid on that day."""
    return member.qualifications.filter(
        Q(valid_until_on__isnull=True) | Q(valid_until_on__gte=on),
        kind=QualificationKind.PHYSICIAN,
    ).exists()
