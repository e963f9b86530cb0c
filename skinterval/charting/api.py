"""Session charting over the JSON API: start a session (the safety re-check),
complete it (what was done in each treated area), read charts (docs/api.md).

Thin: `charting.services` holds every rule (consent in force, any "yes" at the
re-check holds the session, depths capped by the plan and the device). Starting
and completing are for the clinic's practitioners; any staff may read.
"""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from skinterval.api_common import ApiError, Pagination, errors, staff
from skinterval.appointments.queries import get_appointment_for_user
from skinterval.appointments.schemas import RowId
from skinterval.charting.models import SessionChart
from skinterval.charting.queries import (
    get_session_chart_for_user,
    session_charts_for_user,
)
from skinterval.charting.schemas import ChartOut, CompleteIn, StartIn
from skinterval.charting.services import (
    AreaEntry,
    ChartingRefused,
    DepthRefused,
    complete_session,
    start_session,
)
from skinterval.clinics.models import Device, StaffRole
from skinterval.domain.contracts import format_path
from skinterval.patients.queries import get_patient_for_user

router = Router(tags=["charting"])

_RELATED = ("appointment__plan_session", "charted_by", "patient")


def _reloaded(chart: SessionChart) -> SessionChart:
    """The chart again, as written, with its areas. It was loaded or created
    through the permission checks in this request, so it is not checked, nor
    recorded as read, a second time."""
    return (
        SessionChart.objects.select_related(*_RELATED)
        .prefetch_related("areas__device")
        .get(pk=chart.pk)
    )


def _refusal(exc: ChartingRefused) -> ApiError:
    """A step the chart's state does not allow is 409; an incomplete chart 422."""
    if exc.code == "areas":
        return ApiError(422, exc.message, [("areas", exc.message)])
    return ApiError(409, exc.message)


@router.post(
    "/",
    response={201: ChartOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Start a session: the safety re-check",
)
def start_chart(request: HttpRequest, payload: StartIn) -> Status[SessionChart]:
    """Record the re-check answers for a booked session and open its chart. Any
    `true` answer holds the session (the chart is kept with status `held`).
    409 without a signed treatment consent in force, for a session already
    started, or one that is not a booked session of an approved plan."""
    member = staff(request, [StaffRole.PRACTITIONER])
    appointment = get_appointment_for_user(request.user, payload.appointment_id)
    try:
        chart = start_session(
            appointment=appointment,
            practitioner=member,
            answers=payload.answers.dict(),
            notes=payload.notes,
            now=timezone.now(),
        )
    except ChartingRefused as exc:
        raise _refusal(exc) from exc
    return Status(201, _reloaded(chart))


@router.get(
    "/",
    response={200: list[ChartOut], **errors(401, 403, 404, 422)},
    summary="List session charts",
)
@paginate(Pagination)
def list_charts(
    request: HttpRequest,
    patient_id: UUID | None = None,
    appointment_id: int | None = None,
) -> QuerySet[SessionChart]:
    """Charts of the clinic's patients, newest first."""
    staff(request)
    rows = session_charts_for_user(request.user)
    if patient_id is not None:
        rows = rows.filter(patient=get_patient_for_user(request.user, patient_id))
    if appointment_id is not None:
        rows = rows.filter(appointment_id=appointment_id)
    return (
        rows.select_related(*_RELATED)
        .prefetch_related("areas__device")
        .order_by("-checked_in_at", "-pk")
    )


@router.get(
    "/{chart_id}",
    response={200: ChartOut, **errors(401, 403, 404, 422)},
    summary="Read a session chart",
)
def get_chart(request: HttpRequest, chart_id: RowId) -> SessionChart:
    staff(request)
    return get_session_chart_for_user(request.user, chart_id)


@router.post(
    "/{chart_id}/complete",
    response={200: ChartOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Complete a session: what was done in each treated area",
)
def complete_chart(
    request: HttpRequest, chart_id: RowId, payload: CompleteIn
) -> SessionChart:
    """Record depth, passes, device and cartridge lot for every treated area of
    the plan, and the session's outcome; completes the appointment. A depth
    above the plan's depth for the area or the device's maximum is 422 with the
    field path (`areas[0].depth_mm`)."""
    member = staff(request, [StaffRole.PRACTITIONER])
    chart = get_session_chart_for_user(request.user, chart_id)
    wanted = {a.device_id for a in payload.areas}
    devices = {
        d.pk: d
        for d in Device.objects.filter(clinic_id=member.clinic_id, pk__in=wanted)
    }
    if wanted - devices.keys():
        raise Http404("No such device.")
    entries = [
        AreaEntry(
            area=a.area,
            depth_mm=a.depth_mm,
            passes=a.passes,
            device=devices[a.device_id],
            cartridge_lot=a.cartridge_lot,
        )
        for a in payload.areas
    ]
    try:
        complete_session(
            chart=chart,
            practitioner=member,
            areas=entries,
            anaesthetic=payload.anaesthetic,
            adjuncts=payload.adjuncts,
            endpoint=payload.endpoint,
            reaction=payload.reaction,
            notes=payload.notes,
            now=timezone.now(),
        )
    except DepthRefused as exc:
        raise ApiError(
            422,
            exc.message,
            [
                (format_path(["areas", n, "depth_mm"]), exc.reasons[a.area])
                for n, a in enumerate(payload.areas)
                if a.area in exc.reasons
            ],
        ) from exc
    except ChartingRefused as exc:
        raise _refusal(exc) from exc
    return _reloaded(chart)
