"""What the staff calendar shows for a range of days, in a fixed number of queries.

For one clinic, one resource (all practitioners, one practitioner, a room or a
device) and a range of clinic-local days: the appointments (one query, bounded by
the range, never a resource's whole history), the working hours as background (one
query for the working intervals in force, one for time off), and closures (one
query; public holidays come from the `holidays` package). Every instant is sent as
ISO 8601 with the clinic's own offset on that day, so the wall-clock time shown is
right on both sides of a DST change.

The caller passes the clinic from the permission-checked loaders
(`clinics.queries.require_staff`); nothing here looks at who is asking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from skinterval.appointments.availability import LONGEST_BLOCK, is_public_holiday
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import MOVABLE
from skinterval.clinics.models import (
    Clinic,
    Closure,
    Device,
    Room,
    StaffMember,
    StaffRole,
    TimeOff,
    WorkingInterval,
)
from skinterval.domain import wallclock

MAX_RANGE_DAYS = 62
ALL_PRACTITIONERS = ""


class CalendarRequestError(ValueError):
    """A calendar request that cannot be answered; `message` says why in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CalendarResource:
    """Whose calendar: every practitioner (`kind` "all"), or one practitioner,
    room or device. `key` is what the page's select and the JSON endpoint use."""

    kind: str
    key: str
    label: str
    pk: int | None = None
    location_id: int | None = None


def resource_choices(clinic: Clinic) -> list[tuple[str, list[tuple[str, str]]]]:
    """The select's groups: practitioners, rooms and devices (three queries)."""
    practitioners = StaffMember.objects.filter(
        clinic=clinic, role=StaffRole.PRACTITIONER, is_active=True
    ).order_by("display_name")
    rooms = Room.objects.filter(clinic=clinic, is_active=True).select_related(
        "location"
    )
    devices = Device.objects.filter(clinic=clinic, is_active=True).order_by("name")
    return [
        (
            _("Practitioners"),
            [(ALL_PRACTITIONERS, _("All practitioners"))]
            + [(f"p{m.pk}", m.display_name) for m in practitioners],
        ),
        (_("Rooms"), [(f"r{r.pk}", str(r)) for r in rooms]),
        (_("Devices"), [(f"d{d.pk}", d.name) for d in devices]),
    ]


def parse_resource(clinic: Clinic, key: str) -> CalendarResource:
    """The resource a key names, if it is one of the clinic's; otherwise
    CalendarRequestError (the same answer for another clinic's ids as for ids
    that do not exist, so nothing can be probed)."""
    key = key.strip()
    if key in (ALL_PRACTITIONERS, "all"):
        return CalendarResource("all", ALL_PRACTITIONERS, _("All practitioners"))
    unknown = CalendarRequestError(_("Unknown practitioner, room or device."))
    kind, digits = key[:1], key[1:]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise unknown
    pk = int(digits)
    if kind == "p":
        member = StaffMember.objects.filter(
            clinic=clinic, pk=pk, role=StaffRole.PRACTITIONER
        ).first()
        if member is None:
            raise unknown
        return CalendarResource("practitioner", key, member.display_name, pk)
    if kind == "r":
        room = Room.objects.filter(clinic=clinic, pk=pk).select_related("location")
        found = room.first()
        if found is None:
            raise unknown
        return CalendarResource("room", key, str(found), pk, found.location_id)
    if kind == "d":
        device = Device.objects.filter(clinic=clinic, pk=pk).first()
        if device is None:
            raise unknown
        return CalendarResource("device", key, device.name, pk, device.location_id)
    raise unknown


def _local_day(value: str, zone: ZoneInfo, *, is_end: bool) -> date:
    """A date or date-time parameter as a clinic-local day. A date-time without an
    offset is read as the clinic's wall clock (as FullCalendar sends it for a named
    time zone); an end that is not midnight takes in the day it falls on."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise CalendarRequestError(
            _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value[:40]}
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(zone)
    day = parsed.date()
    if is_end and parsed.time() != time(0):
        day += timedelta(days=1)
    return day


def parse_range(
    start: str | None, end: str | None, zone: ZoneInfo, *, today: date
) -> tuple[date, date]:
    """[first day, day after the last) from the `start` and `end` parameters;
    without either, the week (Monday to Sunday) of `today`."""
    if not start and not end:
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    if not start or not end:
        raise CalendarRequestError(_("Give both start and end, or neither."))
    first_on = _local_day(start, zone, is_end=False)
    end_on = _local_day(end, zone, is_end=True)
    if end_on <= first_on:
        raise CalendarRequestError(_("The end must be after the start."))
    if (end_on - first_on).days > MAX_RANGE_DAYS:
        raise CalendarRequestError(
            _("Ask for at most %(n)d days at a time.") % {"n": MAX_RANGE_DAYS}
        )
    return first_on, end_on


def _iso(instant: datetime, zone: ZoneInfo) -> str:
    """An instant with the clinic's offset at that moment: +01:00 in a London
    summer, +00:00 in its winter."""
    return wallclock.to_local(instant, zone).isoformat()


def calendar_events(
    *, clinic: Clinic, resource: CalendarResource, first_on: date, end_on: date
) -> list[dict[str, Any]]:
    """FullCalendar event objects for the local days first_on .. end_on - 1."""
    zone = clinic.zone
    last_on = end_on - timedelta(days=1)
    range_start, range_end = wallclock.span_bounds(first_on, last_on, zone)
    events = _appointments(clinic, resource, range_start, range_end, zone)
    events += _closures_and_working_hours(clinic, resource, first_on, last_on, zone)
    return events


STATUS_CLASS: dict[str, str] = {
    AppointmentStatus.HELD: "appt-held",
    AppointmentStatus.BOOKED: "appt-booked",
    AppointmentStatus.ARRIVED: "appt-arrived",
    AppointmentStatus.COMPLETED: "appt-completed",
    AppointmentStatus.NO_SHOW: "appt-no-show",
}


def _appointments(
    clinic: Clinic,
    resource: CalendarResource,
    range_start: datetime,
    range_end: datetime,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    rows = (
        Appointment.objects.filter(
            clinic=clinic,
            # The indexed column, bounded on both sides; then the overlap. A visit
            # starts at or after its block, so `starts_at < range_end` is checked
            # below in Python: one condition fewer keeps the planner's estimate
            # of the row count near the truth and the plan on this index.
            blocked_from_at__gte=range_start - LONGEST_BLOCK,
            blocked_from_at__lt=range_end,
            ends_at__gt=range_start,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("starts_at", "pk")
    )
    if resource.kind != "all":
        rows = rows.filter(**{f"{resource.kind}_id": resource.pk})
    # Plain tuples with the joined names: a busy week is thousands of rows, and
    # building model instances for them would cost more than the query.
    columns = rows.values_list(
        "pk",
        "starts_at",
        "ends_at",
        "status",
        "patient__given_name",
        "patient__family_name",
        "service_type__name",
        "practitioner__display_name",
        "room__name",
        "device__name",
    )
    statuses: dict[str, str] = {s.value: str(s.label) for s in AppointmentStatus}
    detail_url = reverse("appointments:detail", args=[0]).removesuffix("0/")
    events = []
    for pk, starts_at, ends_at, status, given, family, service, *where in columns:
        if starts_at >= range_end:  # only its preparation time falls in range
            continue
        events.append(
            {
                "id": f"a{pk}",
                "title": f"{given} {family}",
                "start": _iso(starts_at, zone),
                "end": _iso(ends_at, zone),
                "url": f"{detail_url}{pk}/",
                "classNames": ["appt", STATUS_CLASS.get(status, "appt-booked")],
                # Dragged to another time only; the length is the service's.
                "startEditable": status in MOVABLE,
                "durationEditable": False,
                "extendedProps": {
                    "kind": "appointment",
                    "appointment": pk,
                    "status": status,
                    "statusLabel": statuses.get(status, status),
                    "service": service,
                    "where": ", ".join(w for w in where if w),
                },
            }
        )
    return events


def _closures_and_working_hours(
    clinic: Clinic,
    resource: CalendarResource,
    first_on: date,
    last_on: date,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """All-day closures and time off, and working hours as background (merged
    across practitioners when more than one is shown)."""
    events: list[dict[str, Any]] = []
    closures = Closure.objects.filter(
        clinic=clinic, starts_on__lte=last_on, ends_on__gte=first_on
    ).select_related("location")
    if resource.location_id is not None:
        closures = closures.filter(
            Q(location__isnull=True) | Q(location_id=resource.location_id)
        )
    shut: dict[int | None, set[date]] = defaultdict(set)
    for closure in closures:
        first, last = max(closure.starts_on, first_on), min(closure.ends_on, last_on)
        shut[closure.location_id].update(wallclock.days(first, last))
        where = closure.location.name if closure.location else _("every location")
        title = _("Closed (%(where)s)") % {"where": where}
        events.append(
            _all_day(f"c{closure.pk}", title, closure.reason, first, last, "closure")
        )
    for day in wallclock.days(first_on, last_on):
        if is_public_holiday(clinic, day):
            shut[None].add(day)
            events.append(
                _all_day(f"h{day}", _("Public holiday"), "", day, day, "closure")
            )

    intervals = WorkingInterval.objects.filter(
        clinic=clinic,
        staff_member__is_active=True,
        staff_member__role=StaffRole.PRACTITIONER,
        effective_from_on__lte=last_on,
    ).filter(Q(effective_until_on__isnull=True) | Q(effective_until_on__gte=first_on))
    time_off = TimeOff.objects.filter(
        clinic=clinic, starts_on__lte=last_on, ends_on__gte=first_on
    ).select_related("staff_member")
    if resource.kind == "practitioner":
        intervals = intervals.filter(staff_member_id=resource.pk)
        time_off = time_off.filter(staff_member_id=resource.pk)
    elif resource.location_id is not None:
        intervals = intervals.filter(location_id=resource.location_id)
    away: dict[int, set[date]] = defaultdict(set)
    for off in time_off:
        first, last = max(off.starts_on, first_on), min(off.ends_on, last_on)
        away[off.staff_member_id].update(wallclock.days(first, last))
        if resource.kind in ("all", "practitioner"):
            title = _("%(name)s away") % {"name": off.staff_member.display_name}
            events.append(
                _all_day(f"t{off.pk}", title, off.reason, first, last, "time-off")
            )

    by_weekday: dict[int, list[WorkingInterval]] = defaultdict(list)
    for wi in intervals:
        by_weekday[wi.weekday].append(wi)
    for day in wallclock.days(first_on, last_on):
        spans: list[tuple[datetime, datetime]] = []
        for wi in by_weekday[day.weekday()]:
            if not wi.effective_from_on <= day <= (wi.effective_until_on or day):
                continue
            if day in away[wi.staff_member_id]:
                continue
            if day in shut[None] or day in shut[wi.location_id]:
                continue
            spans.append(
                (
                    wallclock.to_utc(day, wi.start_time, zone),
                    wallclock.to_utc(day, wi.end_time, zone),
                )
            )
        for n, (start, end) in enumerate(_merged(spans)):
            events.append(
                {
                    "id": f"w{day}-{n}",
                    "start": _iso(start, zone),
                    "end": _iso(end, zone),
                    "display": "background",
                    "classNames": ["working-hours"],
                    "extendedProps": {"kind": "working"},
                }
            )
    return events


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _all_day(
    event_id: str, title: str, reason: str, first: date, last: date, kind: str
) -> dict[str, Any]:
    return {
        "id": event_id,
        "title": f"{title}: {reason}" if reason else title,
        "start": first.isoformat(),
        "end": (last + timedelta(days=1)).isoformat(),
        "allDay": True,
        "classNames": [kind],
        "extendedProps": {"kind": kind},
    }
