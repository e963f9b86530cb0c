"""Scheduling over the JSON API: slot search, and booking, holding, confirming,
moving and cancelling appointments (docs/api.md).

Thin: every write goes through `appointments.services`, so the API books by
exactly the rules the staff screens use (windows, conflicts, hours, re-flow of the
series, reminders). Staff only; everything is loaded from the caller's clinic, and
an id of anything outside it is 404 with no data.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, QueryEx, Router, Status
from ninja.pagination import paginate

from skinterval.api_common import ApiError, Pagination, errors, staff
from skinterval.appointments.availability import eligible_practitioners
from skinterval.appointments.errors import PROBLEM_MESSAGES, OutsideWindow, SlotTaken
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.queries import (
    SlotOption,
    find_slots_for,
    get_appointment_for_user,
    slots_for_plan_session,
)
from skinterval.appointments.schemas import (
    MAX_SLOT_RESULTS,
    AppointmentOut,
    BookIn,
    CancelIn,
    Day,
    HoldIn,
    MoveIn,
    Ref,
    RowId,
    SlotOut,
    SlotsOut,
)
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    confirm_hold,
    reschedule_appointment,
)
from skinterval.appointments.views import why
from skinterval.clinics.models import Device, Location, Room, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.patients.queries import get_patient_for_user
from skinterval.plans.models import PlanSession, PlanStatus
from skinterval.plans.queries import plans_for_user

router = Router(tags=["scheduling"])

# The longest range one slot search covers (clinic-local days).
MAX_SEARCH_DAYS = 31

_RELATED = (
    "patient",
    "clinic",
    "practitioner",
    "location",
    "room",
    "device",
    "service_type",
    "plan_session__plan",
)


# --- loading, always from the caller's clinic ---------------------------------


def _in_clinic(model: Any, clinic_id: int, pk: int, what: str) -> Any:
    try:
        return model.objects.get(clinic_id=clinic_id, pk=pk)
    except model.DoesNotExist:
        raise Http404(what) from None


def _service(clinic_id: int, pk: int) -> ServiceType:
    service: ServiceType = _in_clinic(ServiceType, clinic_id, pk, "No such service.")
    return service


def _practitioner(clinic_id: int, pk: int) -> StaffMember:
    try:
        return StaffMember.objects.get(
            clinic_id=clinic_id, pk=pk, role=StaffRole.PRACTITIONER
        )
    except StaffMember.DoesNotExist:
        raise Http404("No such practitioner.") from None


def _room(clinic_id: int, pk: int | None) -> Room | None:
    if pk is None:
        return None
    room: Room = _in_clinic(Room, clinic_id, pk, "No such room.")
    return room


def _device(clinic_id: int, pk: int | None) -> Device | None:
    if pk is None:
        return None
    device: Device = _in_clinic(Device, clinic_id, pk, "No such device.")
    return device


def _plan_session(request: HttpRequest, pk: int) -> PlanSession:
    """A planned session of a plan the caller may see; 404 otherwise."""
    try:
        return PlanSession.objects.select_related("plan__patient", "plan__clinic").get(
            plan__in=plans_for_user(request.user), pk=pk
        )
    except PlanSession.DoesNotExist:
        raise Http404("No such planned session.") from None


def _reloaded(appointment: Appointment) -> Appointment:
    """The row again, as written, with everything the answer names (one query).
    It was loaded or created through the permission checks in this request, so
    it is not checked, nor recorded as read, a second time."""
    return Appointment.objects.select_related(*_RELATED).get(pk=appointment.pk)


@contextmanager
def _booking_rules() -> Iterator[None]:
    """The booking rules' refusals, said for API clients: a time someone else
    has is 409 "that time was just taken" (whether the check or the database
    caught it), with what clashed; a day outside the window names the field that
    would allow it. Everything else goes to the shared BookingError handler."""
    try:
        yield
    except SlotTaken as exc:
        clashes = [p for p in exc.problems if p != "slot_taken"] or ["slot_taken"]
        raise ApiError(
            409,
            str(PROBLEM_MESSAGES["slot_taken"]),
            [("starts_at", str(PROBLEM_MESSAGES.get(p, p))) for p in clashes],
        ) from exc
    except OutsideWindow as exc:
        raise ApiError(
            422,
            exc.message,
            [
                ("starts_at", str(PROBLEM_MESSAGES["outside_window"])),
                (
                    "override_reason",
                    _("Give a reason to book a session outside its window."),
                ),
            ],
        ) from exc


# --- slot search --------------------------------------------------------------


def _slot_out(rank: int, option: SlotOption, *, has_target: bool) -> SlotOut:
    slot = option.slot
    if has_target:
        reason = why(option)
    else:
        reason = _("ranked by how soon it is")
        if slot.fit.same_practitioner:
            reason += "; " + _("same practitioner as last time")
    return SlotOut(
        rank=rank,
        starts_at=slot.start,
        ends_at=slot.end,
        practitioner=Ref(
            id=option.practitioner.pk, name=option.practitioner.display_name
        ),
        room=None
        if option.room is None
        else Ref(id=option.room.pk, name=option.room.name),
        device=None
        if option.device is None
        else Ref(id=option.device.pk, name=option.device.name),
        location_id=int(slot.location_id),
        score=slot.score,
        days_from_target=slot.fit.days_from_target if has_target else None,
        same_practitioner=slot.fit.same_practitioner,
        why=reason,
    )


def _slots(options: list[SlotOption], *, has_target: bool) -> SlotsOut:
    return SlotsOut(
        items=[
            _slot_out(n, option, has_target=has_target)
            for n, option in enumerate(options, start=1)
        ]
    )


@router.get(
    "/slots",
    response={200: SlotsOut, **errors(401, 403, 404, 422)},
    summary="Search free slots for a service",
)
def search_slots(
    request: HttpRequest,
    service_id: int,
    first_on: Day,
    last_on: Day,
    target_on: Day | None = None,
    practitioner_id: int | None = None,
    location_id: int | None = None,
    patient_id: UUID | None = None,
    limit: QueryEx[int, P(ge=1, le=MAX_SLOT_RESULTS)] = 10,
) -> SlotsOut:
    """Free times for the service between two clinic-local days (at most 31),
    best first: nearest `target_on` when given, otherwise soonest. With
    `patient_id`, times the patient is already booked are left out."""
    member = staff(request)
    clinic = member.clinic
    if last_on < first_on:
        raise ApiError(
            422,
            _("The request is not valid."),
            [("last_on", _("The last day is before the first day."))],
        )
    if (last_on - first_on).days >= MAX_SEARCH_DAYS:
        raise ApiError(
            422,
            _("The request is not valid."),
            [
                (
                    "last_on",
                    _("Search at most %(n)d days at a time.") % {"n": MAX_SEARCH_DAYS},
                )
            ],
        )
    service = _service(clinic.pk, service_id)
    practitioners = None
    if practitioner_id is not None:
        practitioner = _practitioner(clinic.pk, practitioner_id)
        if practitioner not in eligible_practitioners(clinic, service, first_on):
            raise ApiError(
                422,
                _("The request is not valid."),
                [
                    (
                        "practitioner_id",
                        str(PROBLEM_MESSAGES["practitioner_not_eligible"]),
                    )
                ],
            )
        practitioners = [practitioner]
    if location_id is not None:
        _in_clinic(Location, clinic.pk, location_id, "No such location.")
    patient = get_patient_for_user(request.user, patient_id) if patient_id else None
    options = find_slots_for(
        clinic=clinic,
        service=service,
        first_on=first_on,
        last_on=last_on,
        target_on=target_on,
        now=timezone.now(),
        patient=patient,
        practitioners=practitioners,
        location_id=location_id,
        limit=limit,
    )
    return _slots(options, has_target=target_on is not None)


@router.get(
    "/slots/plan-session/{plan_session_id}",
    response={200: SlotsOut, **errors(401, 403, 404, 409, 422)},
    summary="Search free slots for a planned session, inside its window",
)
def search_session_slots(
    request: HttpRequest,
    plan_session_id: RowId,
    service_id: int | None = None,
    limit: QueryEx[int, P(ge=1, le=MAX_SLOT_RESULTS)] = 10,
) -> SlotsOut:
    """The best times inside the session's current window, nearest its target
    date, keeping the practitioner of the session before it when possible, with
    a device that reaches the plan's depth. The service defaults to the clinic's
    micro-needling service."""
    member = staff(request)
    session = _plan_session(request, plan_session_id)
    if session.plan.status != PlanStatus.APPROVED:
        raise ApiError(409, str(PROBLEM_MESSAGES["plan_not_approved"]))
    if service_id is not None:
        service = _service(member.clinic_id, service_id)
    else:
        found = ServiceType.objects.filter(
            clinic_id=member.clinic_id, kind=ServiceKind.MICRONEEDLING, is_active=True
        ).first()
        if found is None:
            raise ApiError(
                422,
                _("The clinic offers no micro-needling service."),
                [("service_id", _("Name the service to book."))],
            )
        service = found
    options = slots_for_plan_session(
        plan_session=session, service=service, now=timezone.now(), limit=limit
    )
    return _slots(options, has_target=True)


# --- appointments -------------------------------------------------------------


@router.get(
    "/",
    response={200: list[AppointmentOut], **errors(401, 403, 404, 422)},
    summary="List appointments",
)
@paginate(Pagination)
def list_appointments(
    request: HttpRequest,
    first_on: Day | None = None,
    last_on: Day | None = None,
    practitioner_id: int | None = None,
    patient_id: UUID | None = None,
    status: AppointmentStatus | None = None,
) -> QuerySet[Appointment]:
    """The clinic's appointments in time order; `first_on`/`last_on` are
    clinic-local days (inclusive)."""
    member = staff(request)
    zone = member.clinic.zone
    rows = Appointment.objects.filter(clinic_id=member.clinic_id)
    if first_on is not None:
        rows = rows.filter(starts_at__gte=wallclock.day_bounds(first_on, zone)[0])
    if last_on is not None:
        rows = rows.filter(starts_at__lt=wallclock.day_bounds(last_on, zone)[1])
    if practitioner_id is not None:
        rows = rows.filter(practitioner_id=practitioner_id)
    if patient_id is not None:
        rows = rows.filter(patient=get_patient_for_user(request.user, patient_id))
    if status is not None:
        rows = rows.filter(status=status)
    return rows.select_related(*_RELATED).order_by("starts_at", "pk")


def _book(request: HttpRequest, payload: BookIn, hold_min: int | None) -> Appointment:
    member = staff(request)
    clinic_id = member.clinic_id
    patient = get_patient_for_user(request.user, payload.patient_id)
    kwargs: dict[str, Any] = {
        "patient": patient,
        "service_type": _service(clinic_id, payload.service_id),
        "practitioner": _practitioner(clinic_id, payload.practitioner_id),
        "room": _room(clinic_id, payload.room_id),
        "device": _device(clinic_id, payload.device_id),
        "plan_session": None
        if payload.plan_session_id is None
        else _plan_session(request, payload.plan_session_id),
        "starts_at": payload.starts_at,
        "override_reason": payload.override_reason,
        "booked_by": member,
        "now": timezone.now(),
        "hold_min": hold_min,
    }
    with _booking_rules():
        appointment = book_appointment(**kwargs)
    return _reloaded(appointment)


@router.post(
    "/",
    response={201: AppointmentOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Book an appointment",
)
def book(request: HttpRequest, payload: BookIn) -> Status[Appointment]:
    """Book a time (usually one a slot search offered). 409 when the time was
    just taken; 422 when nobody works then, or for a planned session outside its
    window without `override_reason`."""
    return Status(201, _book(request, payload, hold_min=None))


@router.post(
    "/holds",
    response={201: AppointmentOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Hold a time for a few minutes",
)
def hold(request: HttpRequest, payload: HoldIn) -> Status[Appointment]:
    """Reserve a time while the booking is completed elsewhere; confirm it
    before `hold_expires_at`, or it is released."""
    return Status(201, _book(request, payload, hold_min=payload.hold_min))


@router.get(
    "/{appointment_id}",
    response={200: AppointmentOut, **errors(401, 403, 404, 422)},
    summary="Read an appointment",
)
def get_appointment(request: HttpRequest, appointment_id: RowId) -> Appointment:
    staff(request)
    return get_appointment_for_user(request.user, appointment_id)


@router.post(
    "/{appointment_id}/confirm",
    response={200: AppointmentOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Confirm a held appointment",
)
def confirm(request: HttpRequest, appointment_id: RowId) -> Appointment:
    """Turn a hold into a booking; a lapsed hold is re-checked first (409 if
    the time has been taken since)."""
    staff(request)
    held = get_appointment_for_user(request.user, appointment_id)
    with _booking_rules():
        confirm_hold(appointment=held, now=timezone.now())
    return _reloaded(held)


@router.post(
    "/{appointment_id}/move",
    response={200: AppointmentOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="Move an appointment",
)
def move(request: HttpRequest, appointment_id: RowId, payload: MoveIn) -> Appointment:
    """Move a held or booked appointment to another time (and, optionally,
    practitioner, room or device), by the same rules as booking; the later
    sessions of its series re-flow."""
    member = staff(request)
    appointment = get_appointment_for_user(request.user, appointment_id)
    clinic_id = member.clinic_id
    practitioner = (
        None
        if payload.practitioner_id is None
        else _practitioner(clinic_id, payload.practitioner_id)
    )
    with _booking_rules():
        reschedule_appointment(
            appointment=appointment,
            starts_at=payload.starts_at,
            now=timezone.now(),
            practitioner=practitioner,
            room=_room(clinic_id, payload.room_id),
            device=_device(clinic_id, payload.device_id),
            override_reason=payload.override_reason,
        )
    return _reloaded(appointment)


@router.post(
    "/{appointment_id}/cancel",
    response={200: AppointmentOut, **errors(400, 401, 403, 404, 422)},
    summary="Cancel an appointment",
)
def cancel(
    request: HttpRequest, appointment_id: RowId, payload: CancelIn | None = None
) -> Appointment:
    """Cancel a held or booked appointment; its time is offered to the
    waitlist and the later sessions of its series re-flow."""
    staff(request)
    appointment = get_appointment_for_user(request.user, appointment_id)
    reason = payload.reason if payload is not None else ""
    cancel_appointment(appointment=appointment, reason=reason, now=timezone.now())
    return _reloaded(appointment)
