"""Loading what slot search needs from the database, in a fixed number of queries.

For one clinic, service and range of local dates: each eligible practitioner's
working time (rota minus time off, closures and public holidays), rooms and devices
(open whenever their location is), and everything already booked on any of them or
on the patient — busy blocks come from ONE query bounded by the date range, never
per slot and never a resource's whole history. The result feeds
`skinterval.domain.slots` unchanged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.db import connection
from django.db.models import Q

from skinterval.appointments.models import Appointment, AppointmentStatus, ServiceType
from skinterval.appointments.sql import EpochMinutes
from skinterval.clinics.models import (
    Clinic,
    Closure,
    Device,
    Qualification,
    Room,
    StaffMember,
    StaffRole,
    TimeOff,
    WorkingInterval,
)
from skinterval.domain import wallclock
from skinterval.domain.slots import FreeTime, Interval, Resource
from skinterval.patients.models import Patient

# No appointment blocks a resource for longer than this; bounds the busy query.
LONGEST_BLOCK = timedelta(hours=12)


def practitioner_key(pk: int) -> str:
    return f"p{pk}"


def room_key(pk: int) -> str:
    return f"r{pk}"


def device_key(pk: int) -> str:
    return f"d{pk}"


def pk_of(key: str) -> int:
    return int(key[1:])


@dataclass(frozen=True)
class Availability:
    zone: ZoneInfo
    practitioners: tuple[Resource, ...]
    rooms: tuple[Resource, ...] | None
    devices: tuple[Resource, ...] | None
    patient_busy: tuple[Interval, ...]
    # The rows behind the resource keys, so results need no second lookup.
    rows: dict[str, StaffMember | Room | Device] = field(default_factory=dict)


@cache
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    try:
        found = holidays.country_holidays(
            country, subdiv=subdivision or None, years=year
        )
    except NotImplementedError:  # a country the library does not know
        return frozenset()
    return frozenset(found.keys())


def is_public_holiday(clinic: Clinic, day: date) -> bool:
    """A public holiday on which the clinic closes."""
    return clinic.closed_on_public_holidays and day in _public_holidays(
        str(clinic.country), clinic.holiday_subdivision, day.year
    )


def closed_days(
    clinic: Clinic, first_on: date, last_on: date
) -> dict[int | None, set[date]]:
    """Local days each location is shut (key None: every location)."""
    shut: dict[int | None, set[date]] = defaultdict(set)
    if clinic.closed_on_public_holidays:
        for year in range(first_on.year, last_on.year + 1):
            for day in _public_holidays(
                str(clinic.country), clinic.holiday_subdivision, year
            ):
                if first_on <= day <= last_on:
                    shut[None].add(day)
    for closure in Closure.objects.filter(
        clinic=clinic, starts_on__lte=last_on, ends_on__gte=first_on
    ):
        for day in wallclock.days(
            max(closure.starts_on, first_on), min(closure.ends_on, last_on)
        ):
            shut[closure.location_id].add(day)
    return shut


def eligible_practitioners(
    clinic: Clinic, service: ServiceType, on: date
) -> list[StaffMember]:
    members = StaffMember.objects.filter(
        clinic=clinic, role=StaffRole.PRACTITIONER, is_active=True
    ).order_by("pk")
    if service.required_qualification:
        qualified = Qualification.objects.filter(
            clinic=clinic, kind=service.required_qualification
        ).filter(Q(valid_until_on__isnull=True) | Q(valid_until_on__gte=on))
        members = members.filter(pk__in=qualified.values("staff_member_id"))
    return list(members)


def load_availability(
    *,
    clinic: Clinic,
    service: ServiceType,
    first_on: date,
    last_on: date,
    now: datetime,
    practitioners: Iterable[StaffMember] | None = None,
    patient: Patient | None = None,
    exclude_appointment_id: int | None = None,
    min_device_depth_mm: float | None = None,
) -> Availability:
    """Everything slot search needs for these days. `min_device_depth_mm` keeps
    only devices that reach the planned depth."""
    zone = clinic.zone
    staff = (
        list(practitioners)
        if practitioners is not None
        else eligible_practitioners(clinic, service, first_on)
    )
    staff_ids = [m.pk for m in staff]
    shut = closed_days(clinic, first_on, last_on)
    away: dict[int, set[date]] = defaultdict(set)
    for off in TimeOff.objects.filter(
        staff_member_id__in=staff_ids, starts_on__lte=last_on, ends_on__gte=first_on
    ):
        away[off.staff_member_id].update(
            wallclock.days(max(off.starts_on, first_on), min(off.ends_on, last_on))
        )

    def is_shut(location_id: int, day: date) -> bool:
        return day in shut[None] or day in shut[location_id]

    rota: dict[int, list[FreeTime]] = defaultdict(list)
    intervals = WorkingInterval.objects.filter(
        staff_member_id__in=staff_ids, effective_from_on__lte=last_on
    ).filter(Q(effective_until_on__isnull=True) | Q(effective_until_on__gte=first_on))
    by_weekday: dict[int, list[WorkingInterval]] = defaultdict(list)
    for wi in intervals:
        by_weekday[wi.weekday].append(wi)
    days = wallclock.days(first_on, last_on)
    for day in days:
        for wi in by_weekday[day.weekday()]:
            if not wi.effective_from_on <= day <= (wi.effective_until_on or day):
                continue
            if day in away[wi.staff_member_id] or is_shut(wi.location_id, day):
                continue
            rota[wi.staff_member_id].append(
                FreeTime(
                    wallclock.to_utc(day, wi.start_time, zone),
                    wallclock.to_utc(day, wi.end_time, zone),
                    str(wi.location_id),
                )
            )

    rooms = (
        list(Room.objects.filter(clinic=clinic, is_active=True).order_by("pk"))
        if service.needs_room
        else []
    )
    devices = None
    if service.needs_device:
        device_rows = Device.objects.filter(clinic=clinic, is_active=True)
        if min_device_depth_mm is not None:
            device_rows = device_rows.filter(max_depth_mm__gte=min_device_depth_mm)
        devices = list(device_rows.order_by("pk"))

    def open_days(location_id: int) -> list[FreeTime]:
        return [
            FreeTime(*wallclock.day_bounds(day, zone), str(location_id))
            for day in days
            if not is_shut(location_id, day)
        ]

    busy, patient_busy = _busy_blocks(
        clinic=clinic,
        first_on=first_on,
        last_on=last_on,
        now=now,
        staff_ids=staff_ids,
        room_ids=[r.pk for r in rooms],
        device_ids=[d.pk for d in devices or []],
        patient_id=patient.pk if patient else None,
        exclude_appointment_id=exclude_appointment_id,
    )
    return Availability(
        rows={
            **{practitioner_key(m.pk): m for m in staff},
            **{room_key(r.pk): r for r in rooms},
            **{device_key(d.pk): d for d in devices or ()},
        },
        zone=zone,
        practitioners=tuple(
            Resource(
                practitioner_key(m.pk),
                tuple(rota[m.pk]),
                busy_min=tuple(busy[practitioner_key(m.pk)]),
            )
            for m in staff
        ),
        rooms=None
        if not service.needs_room
        else tuple(
            Resource(
                room_key(r.pk),
                tuple(open_days(r.location_id)),
                busy_min=tuple(busy[room_key(r.pk)]),
            )
            for r in rooms
        ),
        devices=None
        if devices is None
        else tuple(
            Resource(
                device_key(d.pk),
                tuple(open_days(d.location_id)),
                busy_min=tuple(busy[device_key(d.pk)]),
            )
            for d in devices
        ),
        patient_busy=tuple(patient_busy),
    )


def _busy_blocks(
    *,
    clinic: Clinic,
    first_on: date,
    last_on: date,
    now: datetime,
    staff_ids: list[int],
    room_ids: list[int],
    device_ids: list[int],
    patient_id: uuid.UUID | None,
    exclude_appointment_id: int | None,
) -> tuple[dict[str, list[tuple[int, int]]], list[Interval]]:
    """Blocks taken on any of the resources, in epoch minutes (one query), and
    the patient's own visits (one small query)."""
    start, end = wallclock.span_bounds(first_on, last_on, clinic.zone)
    # A day's margin each side: a block just outside the range can still clash
    # with a buffer that crosses midnight.
    start -= timedelta(days=1)
    end += timedelta(days=1)
    rows = (
        Appointment.objects.filter(
            clinic=clinic,
            blocked_from_at__gte=start - LONGEST_BLOCK,
            blocked_from_at__lt=end,
            blocked_until_at__gt=start,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(status=AppointmentStatus.HELD, hold_expires_at__lte=now)
    )
    if exclude_appointment_id is not None:
        rows = rows.exclude(pk=exclude_appointment_id)
    busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
    # Each resource's list, found by its id (the rows come in no order: the
    # search sorts each list itself).
    by_staff = {pk: busy[practitioner_key(pk)] for pk in staff_ids}
    by_room = {pk: busy[room_key(pk)] for pk in room_ids}
    by_device = {pk: busy[device_key(pk)] for pk in device_ids}
    resources = (
        rows.filter(
            Q(practitioner_id__in=staff_ids)
            | Q(room_id__in=room_ids)
            | Q(device_id__in=device_ids)
        )
        .values_list(
            "practitioner_id",
            "room_id",
            "device_id",
            EpochMinutes("blocked_from_at"),
            EpochMinutes("blocked_until_at"),
        )
        .order_by()
    )
    # Thousands of rows of five integers: read them straight from the cursor.
    with connection.cursor() as cursor:
        cursor.execute(*resources.query.sql_with_params())
        fetched = cursor.fetchall()
    for prac, room, device, b_from, b_until in fetched:
        block = (b_from, b_until)
        if (blocks := by_staff.get(prac)) is not None:
            blocks.append(block)
        if (blocks := by_room.get(room)) is not None:
            blocks.append(block)
        if (blocks := by_device.get(device)) is not None:
            blocks.append(block)
    patient_visits: list[Interval] = []
    if patient_id is not None:
        patient_visits = [
            Interval(s, e)
            for s, e in rows.filter(patient_id=patient_id).values_list(
                "starts_at", "ends_at"
            )
        ]
    return busy, patient_visits
