"""Permission-checked loading of plans: through the patients the caller may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from skinterval.patients.queries import patients_for_user
from skinterval.plans.models import Plan

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser


def plans_for_user(user: AnyUser) -> QuerySet[Plan]:
    return Plan.objects.filter(patient__in=patients_for_user(user))


def get_plan_for_user(user: AnyUser, plan_id: int) -> Plan:
    try:
        return (
            plans_for_user(user)
            .select_related("patient", "clinic", "created_by", "approved_by")
            .get(pk=plan_id)
        )
    except Plan.DoesNotExist:
        raise Http404("No such plan.") from None
