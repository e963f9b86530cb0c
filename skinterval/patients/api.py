"""JSON API: the patients of the caller's clinic (staff only).

Names are searched with a POSTed body, never a query string, so that they do not
land in URLs or access logs (as on the web pages).
"""

import uuid
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from skinterval.api_common import (
    NO_CONTROL_CHARS,
    ApiError,
    Pagination,
    errors,
    staff,
)
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.patients.queries import get_patient_for_user, patients_for_user
from skinterval.patients.services import DuplicateChartNumber, register_patient

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: uuid.UUID
    chart_number: str
    given_name: str
    family_name: str
    born_on: date
    email: str
    phone: str
    fitzpatrick: int | None = Field(description="Fitzpatrick phototype 1–6, or null.")
    created_at: datetime


class PatientIn(Schema):
    chart_number: str = Field(min_length=1, max_length=40, pattern=NO_CONTROL_CHARS)
    given_name: str = Field(min_length=1, max_length=150, pattern=NO_CONTROL_CHARS)
    family_name: str = Field(min_length=1, max_length=150, pattern=NO_CONTROL_CHARS)
    born_on: date
    email: str = Field("", max_length=254, pattern=NO_CONTROL_CHARS)
    phone: str = Field("", max_length=40, pattern=NO_CONTROL_CHARS)
    fitzpatrick: int | None = Field(None, ge=1, le=6)


class PatientSearchIn(Schema):
    q: str = Field(
        min_length=1,
        max_length=100,
        pattern=NO_CONTROL_CHARS,
        description="Part of a given or family name, or an exact chart number.",
    )


def _ordered(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    return patients.order_by("family_name", "given_name", "pk")


@router.get(
    "",
    response={200: list[PatientOut], **errors(401, 403, 422)},
    summary="Your clinic's patients, by family name",
)
@paginate(Pagination)
def list_patients(request: HttpRequest) -> QuerySet[Patient]:
    staff(request)
    return _ordered(patients_for_user(request.user))


@router.post(
    "/search",
    response={200: list[PatientOut], **errors(400, 401, 403, 422)},
    summary="Search your clinic's patients by name or chart number",
)
@paginate(Pagination)
def search_patients(request: HttpRequest, body: PatientSearchIn) -> QuerySet[Patient]:
    staff(request)
    q = body.q.strip()
    return _ordered(
        patients_for_user(request.user).filter(
            Q(given_name__icontains=q)
            | Q(family_name__icontains=q)
            | Q(chart_number__iexact=q)
        )
    )


@router.post(
    "",
    response={201: PatientOut, **errors(400, 401, 403, 409, 422)},
    summary="Register a patient of your clinic",
)
def create_patient(request: HttpRequest, body: PatientIn) -> Status[Patient]:
    member = staff(request)
    try:
        patient = register_patient(
            registered_by=member,
            today=wallclock.local_date(timezone.now(), member.clinic.zone),
            **body.dict(),
        )
    except DuplicateChartNumber as exc:
        raise ApiError(409, str(exc), [("chart_number", str(exc))]) from None
    return Status(201, patient)


@router.get(
    "/{patient_id}",
    response={200: PatientOut, **errors(401, 403, 404, 422)},
    summary="One patient of your clinic",
)
def get_patient(request: HttpRequest, patient_id: uuid.UUID) -> Patient:
    staff(request)
    return get_patient_for_user(request.user, patient_id)
