"""Scores and check-ins over the JSON API (docs/api.md).

Thin: `outcomes.services.record_score` validates the items with the domain scale
and computes the total; `review_check_in` marks a check-in as looked at. Scores are
recorded and check-ins reviewed by the clinic's practitioners; any staff may read.
"""

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from skinterval.api_common import ApiError, Pagination, errors, staff
from skinterval.appointments.queries import get_appointment_for_user
from skinterval.appointments.schemas import RowId
from skinterval.clinics.models import StaffRole
from skinterval.outcomes.models import CheckIn, Score
from skinterval.outcomes.queries import get_check_in_for_staff, scores_for_patient
from skinterval.outcomes.schemas import CheckInOut, ScoreIn, ScoreOut
from skinterval.outcomes.services import (
    ScoreRefused,
    occasion_for_visit,
    record_score,
    review_check_in,
)
from skinterval.patients.queries import get_patient_for_user

router = Router(tags=["outcomes"])

# Where a refused score's problem lies: the field, or None for the visit's state.
_REFUSED_FIELD: dict[str, str | None] = {
    "scale": "scale",
    "area": "area",
    "items": "items",
    "no_visit": "appointment_id",
    "wrong_visit": "appointment_id",
    "not_attended": None,
    "duplicate": None,
}


def _score_refusal(exc: ScoreRefused) -> ApiError:
    """A score already recorded, or a visit that has not taken place, is 409;
    anything wrong in the body is 422 with its field."""
    field = _REFUSED_FIELD.get(exc.code)
    if field is None:
        return ApiError(409, exc.message)
    problems = list(exc.problems) or [exc.message]
    return ApiError(422, exc.message, [(field, p) for p in problems])


# --- scores -------------------------------------------------------------------


@router.post(
    "/scores",
    response={201: ScoreOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Record a score",
)
def create_score(request: HttpRequest, payload: ScoreIn) -> Status[Score]:
    """Score one area on one scale, at a visit that took place (a session or a
    review visit) or as a baseline without one. The occasion follows from the
    visit; the total is computed from the items. One score per area, scale and
    visit: a second is 409."""
    member = staff(request, [StaffRole.PRACTITIONER])
    patient = get_patient_for_user(request.user, payload.patient_id)
    appointment = None
    if payload.appointment_id is not None:
        appointment = get_appointment_for_user(request.user, payload.appointment_id)
        if appointment.patient_id != patient.pk:
            raise ApiError(
                422,
                _("The request is not valid."),
                [("appointment_id", _("This visit is not the patient's."))],
            )
    try:
        score = record_score(
            patient=patient,
            area=payload.area,
            scale=payload.scale,
            items=payload.items,
            occasion=occasion_for_visit(appointment),
            appointment=appointment,
            scored_by=member,
            now=timezone.now(),
        )
    except ScoreRefused as exc:
        raise _score_refusal(exc) from exc
    # Read back, so the total has the stored precision, as when listed.
    return Status(201, scores_for_patient(patient).get(pk=score.pk))


@router.get(
    "/scores",
    response={200: list[ScoreOut], **errors(401, 403, 404, 422)},
    summary="A patient's scores",
)
@paginate(Pagination)
def list_scores(request: HttpRequest, patient_id: UUID) -> QuerySet[Score]:
    """Every score of the patient, oldest first (staff and patient-reported)."""
    staff(request)
    return scores_for_patient(get_patient_for_user(request.user, patient_id))


# --- check-ins ------------------------------------------------------------------


@router.get(
    "/check-ins",
    response={200: list[CheckInOut], **errors(401, 403, 404, 422)},
    summary="List check-ins",
)
@paginate(Pagination)
def list_check_ins(
    request: HttpRequest,
    patient_id: UUID | None = None,
    to_review: bool | None = None,
) -> QuerySet[CheckIn]:
    """The clinic's check-ins, newest first: one patient's with `patient_id`;
    with `to_review=true` only those that raised an alert and nobody has
    reviewed yet (the dashboard's list)."""
    member = staff(request)
    rows = CheckIn.objects.filter(clinic_id=member.clinic_id)
    if patient_id is not None:
        rows = rows.filter(patient=get_patient_for_user(request.user, patient_id))
    if to_review is True:
        rows = rows.filter(needs_attention=True, reviewed_at__isnull=True)
    elif to_review is False:
        rows = rows.exclude(needs_attention=True, reviewed_at__isnull=True)
    return rows.select_related("appointment__plan_session", "reviewed_by").order_by(
        "-submitted_at", "-pk"
    )


@router.get(
    "/check-ins/{check_in_id}",
    response={200: CheckInOut, **errors(401, 403, 404, 422)},
    summary="Read a check-in",
)
def get_check_in(request: HttpRequest, check_in_id: RowId) -> CheckIn:
    staff(request)
    return get_check_in_for_staff(request.user, check_in_id)


@router.post(
    "/check-ins/{check_in_id}/review",
    response={200: CheckInOut, **errors(401, 403, 404, 422)},
    summary="Mark a check-in as reviewed",
)
def review(request: HttpRequest, check_in_id: RowId) -> CheckIn:
    """It leaves the dashboard's list; reviewing twice keeps the first review."""
    member = staff(request, [StaffRole.PRACTITIONER])
    check_in = get_check_in_for_staff(request.user, check_in_id)
    reviewed = review_check_in(
        check_in=check_in, reviewed_by=member, now=timezone.now()
    )
    # The written row: already checked (and recorded as read) above.
    return CheckIn.objects.select_related(
        "appointment__plan_session", "reviewed_by"
    ).get(pk=reviewed.pk)
