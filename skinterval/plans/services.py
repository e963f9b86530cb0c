"""Plan use cases: create a plan version from an assessment, approve it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q

from skinterval.clinics.models import QualificationKind, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.domain.assessment import parse_assessment
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL, Protocol
from skinterval.domain.render import plan_to_dict
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus


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
    data = plan_to_dict(result)
    with transaction.atomic():
        latest = Plan.objects.filter(patient=patient).aggregate(v=Max("version"))["v"]
        plan = Plan.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            version=(latest or 0) + 1,
            assessed_on=parsed.assessed_on,
            assessment=assessment,
            plan=data,
            rules_version=result.rules_version,
            decision=result.decision,
            requires_physician_review=result.requires_physician_review,
            interval_min_days=result.interval_days.min,
            interval_target_days=result.interval_days.target,
            interval_max_days=result.interval_days.max,
            created_by=created_by,
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


class ApprovalRefused(Exception):
    """The plan cannot be approved by this person or in this state."""


def approve_plan(*, plan: Plan, approved_by: StaffMember, now: datetime) -> Plan:
    """A practitioner approves a draft; findings that need physician review may be
    approved only by a practitioner qualified as a physician. The patient's earlier
    approved plan, if any, is superseded."""
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
    with transaction.atomic():
        Plan.objects.filter(patient=plan.patient, status=PlanStatus.APPROVED).update(
            status=PlanStatus.SUPERSEDED
        )
        plan.status = PlanStatus.APPROVED
        plan.approved_by = approved_by
        plan.approved_at = now
        plan.save(update_fields=["status", "approved_by", "approved_at"])
    return plan


def is_physician(member: StaffMember, on: date) -> bool:
    """Holds a physician qualification valid on that day."""
    return member.qualifications.filter(
        Q(valid_until_on__isnull=True) | Q(valid_until_on__gte=on),
        kind=QualificationKind.PHYSICIAN,
    ).exists()
