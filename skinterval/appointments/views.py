"""Booking the sessions of an approved plan, for practitioners and front desk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from skinterval.appointments.errors import BookingError
from skinterval.appointments.forms import MoveForm
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.queries import (
    SlotOption,
    get_appointment_for_user,
    slots_for_plan_session,
    slots_to_move,
)
from skinterval.appointments.services import book_appointment, reschedule_appointment
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import Device, Room, StaffMember
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.plans.models import Plan, PlanSession, PlanStatus
from skinterval.plans.queries import get_plan_for_user

OPTIONS_PER_SESSION = 5


def _service(plan: Plan) -> ServiceType | None:
    return ServiceType.objects.filter(
        clinic=plan.clinic, kind=ServiceKind.MICRONEEDLING, is_active=True
    ).first()


def _active(session: PlanSession) -> Appointment | None:
    return (
        session.appointments.exclude(status=AppointmentStatus.CANCELLED)
        .select_related("practitioner", "room", "device")
        .first()
    )


@staff_required()
def book_series(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, plan_id)
    member = require_staff(request.user)
    service = _service(plan)
    now = timezone.now()
    if request.method == "POST" and plan.status == PlanStatus.APPROVED and service:
        if "book_all" in request.POST:
            _book_all(request, plan, service, member, now)
        else:
            _book_one(request, plan, service, member, now)
        return redirect("appointments:book_series", plan_id=plan.pk)
    rows: list[dict[str, Any]] = []
    for session in plan.sessions.order_by("number"):
        booked = _active(session)
        options: list[SlotOption] = []
        if (
            booked is None
            and service is not None
            and plan.status == PlanStatus.APPROVED
        ):
            options = slots_for_plan_session(
                plan_session=session,
                service=service,
                now=now,
                limit=OPTIONS_PER_SESSION,
                per_day_limit=2,
            )
        rows.append(
            {
                "session": session,
                "booked": booked,
                "options": [(o, why(o)) for o in options],
            }
        )
        if booked is None:
            # Later windows depend on this session's date: offer them once it is booked.
            rows.extend(
                {"session": later, "booked": None, "options": [], "waiting": True}
                for later in plan.sessions.filter(number__gt=session.number).order_by(
                    "number"
                )
            )
            break
    return render(
        request,
        "appointments/book_series.html",
        {"plan": plan, "rows": rows, "service": service, "clinic": plan.clinic},
    )


def why(option: SlotOption) -> str:
    """The ranking of a slot in words."""
    days = option.slot.fit.days_from_target
    if days == 0:
        parts = [_("on the target day")]
    elif days < 0:
        parts = [
            ngettext(
                "%(n)d day before the target", "%(n)d days before the target", -days
            )
            % {"n": -days}
        ]
    else:
        parts = [
            ngettext("%(n)d day after the target", "%(n)d days after the target", days)
            % {"n": days}
        ]
    if option.slot.fit.same_practitioner:
        parts.append(_("same practitioner as last time"))
    return "; ".join(parts)


def _picked_slot(
    request: HttpRequest, clinic_id: int
) -> tuple[datetime, StaffMember, Room | None, Device | None] | None:
    """The slot a "Book"/"Move here" button posted, read back from the clinic's
    own rows; None when anything is missing, malformed or not the clinic's."""
    try:
        starts_at = datetime.fromisoformat(request.POST["start"])
    except (KeyError, ValueError):
        return None
    if starts_at.tzinfo is None or not wallclock.in_calendar(starts_at.date()):
        return None
    practitioner = StaffMember.objects.filter(
        clinic_id=clinic_id, pk=_row_id(request.POST.get("practitioner"))
    ).first()
    if practitioner is None:
        return None
    room = Room.objects.filter(
        clinic_id=clinic_id, pk=_row_id(request.POST.get("room"))
    ).first()
    device = Device.objects.filter(
        clinic_id=clinic_id, pk=_row_id(request.POST.get("device"))
    ).first()
    return starts_at, practitioner, room, device


def _row_id(value: str | None) -> int:
    """A posted row id, or 0 (no row) for anything that is not one: ASCII digits
    only (``int()`` also reads "²" as not a number, and "١" as one)."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return 0
    return int(value)


def _book_one(
    request: HttpRequest,
    plan: Plan,
    service: ServiceType,
    member: StaffMember,
    now: datetime,
) -> None:
    picked = _picked_slot(request, plan.clinic_id)
    number = _row_id(request.POST.get("session"))
    session = plan.sessions.filter(number=number).first() if number else None
    if picked is None or session is None:
        messages.error(request, _("That choice is no longer valid; please pick again."))
        return
    starts_at, practitioner, room, device = picked
    try:
        book_appointment(
            patient=plan.patient,
            service_type=service,
            practitioner=practitioner,
            room=room,
            device=device,
            starts_at=starts_at,
            now=now,
            plan_session=session,
            override_reason=request.POST.get("override_reason", ""),
            booked_by=member,
        )
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Session %(n)s booked.") % {"n": session.number})


def _book_all(
    request: HttpRequest,
    plan: Plan,
    service: ServiceType,
    member: StaffMember,
    now: datetime,
) -> None:
    """Book the best slot for every unbooked session, in order: each booking
    re-flows the windows after it, so the next search sees them."""
    booked = 0
    for session in plan.sessions.order_by("number"):
        if _active(session) is not None:
            continue
        session.refresh_from_db()
        options = slots_for_plan_session(
            plan_session=session, service=service, now=now, limit=1
        )
        if not options:
            messages.error(
                request,
                _("No free time inside the window of session %(n)s.")
                % {"n": session.number},
            )
            break
        best = options[0]
        try:
            book_appointment(
                patient=plan.patient,
                service_type=service,
                practitioner=best.practitioner,
                room=best.room,
                device=best.device,
                starts_at=best.slot.start,
                now=now,
                plan_session=session,
                booked_by=member,
            )
        except BookingError as exc:
            messages.error(request, exc.message)
            break
        booked += 1
    if booked:
        messages.success(
            request,
            ngettext("%(n)d session booked.", "%(n)d sessions booked.", booked)
            % {"n": booked},
        )


@staff_required()
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One appointment: where it sits in its series, and moving it."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    clinic = appointment.clinic
    now = timezone.now()
    local = wallclock.to_local(appointment.starts_at, clinic.zone)
    form = MoveForm(
        request.POST if request.method == "POST" and "move" in request.POST else None,
        clinic_id=clinic.pk,
        initial={
            "on": local.date(),
            "at": local.time(),
            "practitioner": appointment.practitioner_id,
        },
    )
    if request.method == "POST":
        if "pick" in request.POST:
            _move_to_pick(request, appointment, now)
            return redirect("appointments:detail", appointment_id=appointment.pk)
        if form.is_valid():
            starts_at = wallclock.to_utc(
                form.cleaned_data["on"], form.cleaned_data["at"], clinic.zone
            )
            try:
                reschedule_appointment(
                    appointment=appointment,
                    starts_at=starts_at,
                    now=now,
                    practitioner=form.cleaned_data["practitioner"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except BookingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Appointment moved."))
                return redirect("appointments:detail", appointment_id=appointment.pk)
    movable = appointment.status in (AppointmentStatus.HELD, AppointmentStatus.BOOKED)
    options = slots_to_move(appointment, now=now) if movable else []
    return render(
        request,
        "appointments/appointment_detail.html",
        {
            "appointment": appointment,
            "clinic": clinic,
            "form": form,
            "movable": movable,
            "options": [(o, why(o)) for o in options],
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _move_to_pick(
    request: HttpRequest, appointment: Appointment, now: datetime
) -> None:
    picked = _picked_slot(request, appointment.clinic_id)
    if picked is None:
        messages.error(request, _("That choice is no longer valid; please pick again."))
        return
    starts_at, practitioner, room, device = picked
    try:
        reschedule_appointment(
            appointment=appointment,
            starts_at=starts_at,
            now=now,
            practitioner=practitioner,
            room=room,
            device=device,
        )
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Appointment moved."))
