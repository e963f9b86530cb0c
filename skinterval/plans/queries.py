"""Permission-checked loading of plans: through the patients the caller may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from skinterval.audit.services import record_read
from skinterval.clinics.models import Clinic
from skinterval.patients.queries import patients_for_user
from skinterval.plans.models import Plan, PlanOverride, ProposalStatus, ReplanProposal

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser


def plans_for_user(user: AnyUser) -> QuerySet[Plan]:
    return Plan.objects.filter(patient__in=patients_for_user(user))


def get_plan_for_user(user: AnyUser, plan_id: int) -> Plan:
    """A plan of a patient the caller may see (recorded as read); 404 otherwise."""
    try:
        plan = (
            plans_for_user(user)
            .select_related("patient", "clinic", "created_by", "approved_by")
            .get(pk=plan_id)
        )
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None
    record_read(plan, user=user)
    return plan


def lineage_ids(plan: Plan) -> list[int]:
    """This version and the versions it was made from by overrides, newest first."""
    parents = dict(
        Plan.objects.filter(patient_id=plan.patient_id).values_list(
            "pk", "derived_from_id"
        )
    )
    ids: list[int] = []
    pk: int | None = plan.pk
    while pk is not None and pk not in ids:
        ids.append(pk)
        pk = parents.get(pk)
    return ids


def override_history(plan: Plan) -> list[PlanOverride]:
    """Every override this version carries, made on it or on the versions it was
    made from, oldest first. `plan` must already be permission-checked."""
    return list(
        PlanOverride.objects.filter(plan_id__in=lineage_ids(plan))
        .select_related("plan", "overridden_by")
        .order_by("overridden_at", "pk")
    )


def proposals_for_user(user: AnyUser) -> QuerySet[ReplanProposal]:
    return ReplanProposal.objects.filter(plan__in=plans_for_user(user))


def get_proposal_for_user(user: AnyUser, proposal_id: int) -> ReplanProposal:
    """A re-plan proposal on a plan the caller may see; 404 otherwise."""
    try:
        proposal = (
            proposals_for_user(user)
            .select_related(*_PROPOSAL_RELATED)
            .get(pk=proposal_id)
        )
    except ReplanProposal.DoesNotExist:
        raise Http404("No such proposal.") from None
    record_read(proposal, user=user)
    return proposal


_PROPOSAL_RELATED = ("plan__patient", "decided_by", "new_plan")


def pending_proposals(clinic: Clinic) -> list[ReplanProposal]:
    """The clinic's re-plan proposals awaiting a decision, oldest first."""
    return list(
        ReplanProposal.objects.filter(clinic=clinic, status=ProposalStatus.PENDING)
        .select_related(*_PROPOSAL_RELATED)
        .order_by("created_at", "pk")
    )
