"""JSON API: plans. A practitioner creates a plan from an assessment (the body is
exactly the assessment contract, `assessment.schema.json`), reads it, and approves
it under the same rules as the web pages (`plans.services`). Front desk may read
plans; patients' tokens are refused (the API is for staff).
"""

import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import WithJsonSchema

from skinterval.api_common import (
    ApiError,
    Pagination,
    PathId,
    errors,
    staff,
    unstorable_text,
)
from skinterval.clinics.models import StaffRole
from skinterval.domain.contracts import load_schema
from skinterval.domain.errors import InvalidInput
from skinterval.patients.queries import get_patient_for_user
from skinterval.plans.models import Plan, PlanStatus
from skinterval.plans.queries import get_plan_for_user, plans_for_user
from skinterval.plans.services import ApprovalRefused, approve_plan, create_plan

router = Router(tags=["plans"])
patient_plans_router = Router(tags=["plans"])


def _contract(name: str) -> dict[str, Any]:
    """A contract schema for embedding in OpenAPI 3.1 (JSON Schema 2020-12)."""
    schema = dict(load_schema(name))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


PlanJson = Annotated[dict[str, Any], WithJsonSchema(_contract("plan.schema.json"))]


class PlanOut(Schema):
    id: int
    patient_id: uuid.UUID
    version: int
    status: PlanStatus
    assessed_on: date
    created_at: datetime
    created_by_id: int
    approved_by_id: int | None
    approved_at: datetime | None
    derived_from_id: int | None
    plan: PlanJson


_ASSESSMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _contract("assessment.schema.json")}
        },
    }
}


def _assessment(request: HttpRequest) -> dict[str, Any]:
    """The decoded JSON body; 400 when it is not JSON, 422 when not an object."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInput(["(root): expected an assessment object"])
    problems = unstorable_text(data)
    if problems:  # NUL and lone surrogates: no database column holds them
        raise InvalidInput(problems)
    return data


@patient_plans_router.post(
    "/{patient_id}/plans",
    response={201: PlanOut, **errors(400, 401, 403, 404, 422)},
    summary="Create a plan from an assessment (practitioners)",
    description=(
        "The body is one assessment (`assessment.schema.json`); "
        "`patient.birth_date` must be the patient's date of birth. The answer is the "
        "new plan version, awaiting approval; `plan` is `plan.schema.json`."
    ),
    openapi_extra=_ASSESSMENT_BODY,
)
def create_plan_from_assessment(
    request: HttpRequest, patient_id: uuid.UUID
) -> Status[Plan]:
    member = staff(request, [StaffRole.PRACTITIONER])
    patient = get_patient_for_user(request.user, patient_id)
    assessment = _assessment(request)
    birth_date = assessment.get("patient", {})
    if isinstance(birth_date, dict):
        given = birth_date.get("birth_date")
        if isinstance(given, str) and given != patient.born_on.isoformat():
            raise InvalidInput(
                ["patient.birth_date: is not this patient's date of birth"]
            )
    plan = create_plan(patient=patient, assessment=assessment, created_by=member)
    return Status(201, plan)


@patient_plans_router.get(
    "/{patient_id}/plans",
    response={200: list[PlanOut], **errors(401, 403, 404, 422)},
    summary="A patient's plan versions, newest first",
)
@paginate(Pagination)
def list_patient_plans(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    staff(request)
    patient = get_patient_for_user(request.user, patient_id)
    return plans_for_user(request.user).filter(patient=patient).order_by("-version")


@router.get(
    "/{plan_id}",
    response={200: PlanOut, **errors(401, 403, 404, 422)},
    summary="One plan version",
)
def get_plan(request: HttpRequest, plan_id: PathId) -> Plan:
    staff(request)
    return get_plan_for_user(request.user, plan_id)


@router.post(
    "/{plan_id}/approve",
    response={200: PlanOut, **errors(401, 403, 404, 409, 422)},
    summary="Approve a plan awaiting approval (practitioners)",
    description=(
        "409 when the plan is not a draft or was declined; 403 when its findings "
        "need a physician's review and you are not qualified as a physician."
    ),
)
def approve(request: HttpRequest, plan_id: PathId) -> Plan:
    member = staff(request, [StaffRole.PRACTITIONER])
    plan = get_plan_for_user(request.user, plan_id)
    try:
        return approve_plan(plan=plan, approved_by=member, now=timezone.now())
    except ApprovalRefused as exc:
        state_ok = plan.status == PlanStatus.DRAFT and plan.decision != "decline"
        raise ApiError(403 if state_ok else 409, str(exc)) from None
