"""The clinic calendar: the page, its events, and moving an appointment by dragging.

Dragging is a shortcut for the appointment page's "Move" form, not a second set of
rules: the move goes through `reschedule_appointment`, so windows, conflicts and
override reasons are checked exactly as when booking. The browser sends how far
the appointment was dragged (days and minutes on the wall clock), not an instant,
so a drag across a DST change keeps the clock time the receptionist saw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.appointments import calendar
from skinterval.appointments.errors import BookingError, OutsideWindow
from skinterval.appointments.forms import CalendarMoveForm
from skinterval.appointments.models import Appointment
from skinterval.appointments.queries import get_appointment_for_user
from skinterval.appointments.services import reschedule_appointment
from skinterval.audit.services import record_list
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock


@staff_required()
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Day and week views of one practitioner, room or device, or of every
    practitioner; the events come from `calendar_events` for the visible range."""
    clinic = require_staff(request.user).clinic
    key = request.GET.get("resource", calendar.ALL_PRACTITIONERS)
    try:
        resource = calendar.parse_resource(clinic, key)
    except calendar.CalendarRequestError as exc:
        messages.error(request, exc.message)
        resource = calendar.parse_resource(clinic, calendar.ALL_PRACTITIONERS)
    now = wallclock.to_local(timezone.now(), clinic.zone)
    view = "timeGridDay" if request.GET.get("view") == "day" else "timeGridWeek"
    return render(
        request,
        "appointments/calendar.html",
        {
            "clinic": clinic,
            "resource": resource,
            "choices": calendar.resource_choices(clinic),
            "options": {
                "timeZone": clinic.timezone,
                "initialView": view,
                # The clinic's wall clock, so "today" is the clinic's today.
                "now": now.replace(second=0, microsecond=0, tzinfo=None).isoformat(),
                "eventsUrl": reverse("calendar:events"),
                "moveUrl": reverse("calendar:move"),
                "resource": resource.key,
            },
            "texts": {
                "buttonText": {"today": _("Today"), "day": _("Day"), "week": _("Week")},
                "buttonHints": {
                    "prev": _("Previous $0"),
                    "next": _("Next $0"),
                    "today": _("Go to today"),
                },
                "viewHint": _("$0 view"),
                "allDayText": _("All day"),
                "noEventsText": _("Nothing in this range"),
                "failed": _("The calendar could not be loaded; please reload."),
                "moveFailed": _("The appointment could not be moved."),
            },
        },
    )


@staff_required()
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The events of the caller's clinic between `start` and `end` (clinic-local
    days, at most 62) for `resource`; 400 with a message for a bad request."""
    clinic = require_staff(request.user).clinic
    zone = clinic.zone
    try:
        first_on, end_on = calendar.parse_range(
            request.GET.get("start"),
            request.GET.get("end"),
            zone,
            today=wallclock.local_date(timezone.now(), zone),
        )
        resource = calendar.parse_resource(clinic, request.GET.get("resource", ""))
    except calendar.CalendarRequestError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    events = calendar.calendar_events(
        clinic=clinic, resource=resource, first_on=first_on, end_on=end_on
    )
    shown = sum(
        1 for e in events if e.get("extendedProps", {}).get("kind") == "appointment"
    )
    record_list(Appointment, user=request.user, count=shown)
    return JsonResponse(events, safe=False)


@staff_required()
@require_POST
def calendar_move(request: HttpRequest) -> JsonResponse:
    """Move a held or booked appointment by the days and minutes it was dragged.

    200 with a message when moved; otherwise the booking rules' refusal in words
    with its status (409 taken, 422 not possible, 400 bad request), and
    `needs_reason` when only an override reason is missing (outside the window).
    """
    form = CalendarMoveForm(request.POST)
    if not form.is_valid():
        fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"error": _("That move could not be read."), "fields": fields}, status=400
        )
    data = form.cleaned_data
    appointment = get_appointment_for_user(request.user, data["appointment"])
    zone = appointment.clinic.zone
    was = wallclock.to_local(appointment.starts_at, zone).replace(tzinfo=None)
    moved: datetime = was + timedelta(days=data["days"], minutes=data["minutes"])
    try:
        reschedule_appointment(
            appointment=appointment,
            starts_at=wallclock.to_utc(moved.date(), moved.time(), zone),
            now=timezone.now(),
            override_reason=data["override_reason"],
        )
    except BookingError as exc:
        return JsonResponse(
            {"error": exc.message, "needs_reason": isinstance(exc, OutsideWindow)},
            status=exc.status_code,
        )
    when = date_format(moved, "D j M Y, H:i")
    return JsonResponse(
        {"message": _("Appointment moved to %(when)s.") % {"when": when}}
    )
