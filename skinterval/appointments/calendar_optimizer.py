"""Re-plan many series sessions at once with the domain optimizer, then book the
answer through the normal booking path, all or nothing.

Used after a practitioner's leave, or to fill a new clinic's calendar. The clinic's
rota, rooms, devices and bookings over a date range become a schedule instance (the
same one `skinterval optimize` reads from a file); every pending session of every
approved plan becomes a series session, with its booking today as `current`. The
optimizer's answer is checked by the independent validator, then applied in one
transaction: a session booked today is moved, a new one is booked. If any booking
is refused, nothing changes.

One location at a time: the instance format has no locations, and a practitioner
can only use the rooms and devices of the location where they are working.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q

from skinterval.appointments.availability import closed_days, eligible_practitioners
from skinterval.appointments.errors import BookingError, OutsideWindow, SlotTaken
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.services import book_appointment, reschedule_appointment
from skinterval.clinics.models import (
    Clinic,
    Device,
    Location,
    Room,
    StaffMember,
    TimeOff,
    WorkingInterval,
)
from skinterval.domain import optimizer_model as om
from skinterval.domain.optimizer import schedule
from skinterval.domain.schedule_validator import validate_solution
from skinterval.plans.models import PlanSession, PlanStatus

DONE = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.NO_SHOW,
)


@dataclass(frozen=True)
class CalendarProblem:
    """The instance plus how to find the rows behind its ids again."""

    instance: om.ScheduleInstance
    sessions: dict[tuple[str, int], PlanSession]
    current: dict[tuple[str, int], Appointment]
    service: ServiceType
    location: Location


class OptimizationRefused(Exception):
    """The optimizer's answer could not be applied; nothing was changed."""


def _hours(
    intervals: list[WorkingInterval], trailing_buffer_min: int
) -> tuple[om.WorkingHours, ...]:
    """Weekly hours, each shortened by the clean-up time after a session: our
    booking rule keeps the whole block, buffers included, inside working time,
    while the instance format lets a buffer run past the end of the day."""
    rows = []
    for wi in sorted(intervals, key=lambda w: (w.weekday, w.start_time)):
        start = wi.start_time.hour * 60 + wi.start_time.minute
        end = wi.end_time.hour * 60 + wi.end_time.minute - trailing_buffer_min
        if end > start:
            rows.append(om.WorkingHours(wi.weekday, start, end))
    return tuple(rows)


def _off_days(days: set[date]) -> tuple[om.DayOff, ...]:
    return tuple(om.DayOff(d, d) for d in sorted(days))


def build_problem(
    *, clinic: Clinic, location: Location, first_on: date, last_on: date, now: datetime
) -> CalendarProblem:
    service = ServiceType.objects.get(
        clinic=clinic, kind=ServiceKind.MICRONEEDLING, is_active=True
    )
    staff = eligible_practitioners(clinic, service, first_on)
    intervals: dict[int, list[WorkingInterval]] = defaultdict(list)
    for wi in WorkingInterval.objects.filter(
        staff_member__in=staff, location=location, effective_from_on__lte=last_on
    ).filter(Q(effective_until_on__isnull=True) | Q(effective_until_on__gte=first_on)):
        intervals[wi.staff_member_id].append(wi)
    staff = [m for m in staff if intervals[m.pk]]
    shut = closed_days(clinic, first_on, last_on)
    clinic_shut = shut[None] | shut[location.pk]
    away: dict[int, set[date]] = defaultdict(set)
    for off in TimeOff.objects.filter(
        staff_member__in=staff, starts_on__lte=last_on, ends_on__gte=first_on
    ):
        d = max(off.starts_on, first_on)
        while d <= min(off.ends_on, last_on):
            away[off.staff_member_id].add(d)
            d += timedelta(days=1)
    practitioners = tuple(
        om.Practitioner(
            id=f"p{m.pk}",
            hours=_hours(intervals[m.pk], service.buffer_after_min),
            off=_off_days(away[m.pk] | clinic_shut),
        )
        for m in staff
    )
    rooms = tuple(
        om.Room(id=f"r{r.pk}")
        for r in Room.objects.filter(location=location, is_active=True).order_by("pk")
    )
    devices = tuple(
        om.Device(id=f"d{d.pk}")
        for d in Device.objects.filter(location=location, is_active=True).order_by("pk")
    )

    sessions: dict[tuple[str, int], PlanSession] = {}
    current: dict[tuple[str, int], Appointment] = {}
    series: list[om.Series] = []
    active_by_session = {
        a.plan_session_id: a
        for a in Appointment.objects.filter(
            clinic=clinic, plan_session__plan__status=PlanStatus.APPROVED
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("practitioner")
    }
    plans_sessions: dict[int, list[PlanSession]] = defaultdict(list)
    for s in PlanSession.objects.filter(
        clinic=clinic, plan__status=PlanStatus.APPROVED
    ).order_by("plan_id", "number"):
        plans_sessions[s.plan_id].append(s)
    zone = clinic.zone
    # The instance's session starts with the preparation time before the visit.
    lead = timedelta(minutes=service.buffer_before_min)
    moving_ids: set[int] = set()
    for plan_id, plan_sessions in plans_sessions.items():
        series_id = f"plan{plan_id}"
        last_done: date | None = None
        preferred: str | None = None
        pending: list[om.PendingSession] = []
        for s in plan_sessions:
            appt = active_by_session.get(s.pk)
            if appt is not None and appt.status in DONE:
                last_done = appt.starts_at.astimezone(zone).date()
                preferred = f"p{appt.practitioner_id}"
                continue
            if appt is not None and appt.location_id != location.pk:
                break  # booked at another location: leave this series alone
            booking = None
            if appt is not None:
                booking = om.CurrentBooking(
                    practitioner=f"p{appt.practitioner_id}",
                    room=f"r{appt.room_id}",
                    device=f"d{appt.device_id}" if appt.device_id else None,
                    start_at=appt.starts_at - lead,
                )
                current[(series_id, s.number)] = appt
                moving_ids.add(appt.pk)
                preferred = preferred or f"p{appt.practitioner_id}"
            pending.append(
                om.PendingSession(
                    number=s.number,
                    earliest_on=s.earliest_on,
                    target_on=s.target_on,
                    latest_on=s.latest_on,
                    current=booking,
                )
            )
            sessions[(series_id, s.number)] = s
        if (
            not pending
            or pending[0].latest_on < first_on
            or pending[0].earliest_on > last_on
        ):
            for p in pending:
                sessions.pop((series_id, p.number), None)
                appt = current.pop((series_id, p.number), None)
                if appt is not None:
                    moving_ids.discard(appt.pk)
            continue
        series.append(
            om.Series(
                id=series_id,
                duration_min=service.buffer_before_min + service.duration_min,
                buffer_min=service.buffer_after_min,
                needs_device=service.needs_device,
                practitioners=tuple(p.id for p in practitioners),
                preferred_practitioner=preferred
                if preferred in {p.id for p in practitioners}
                else None,
                interval_days=om.IntervalDays(
                    plan_sessions[0].plan.interval_min_days,
                    plan_sessions[0].plan.interval_target_days,
                    plan_sessions[0].plan.interval_max_days,
                ),
                sessions=tuple(pending),
                last_done_on=last_done,
            )
        )

    start, end = (
        datetime.combine(first_on, datetime.min.time(), tzinfo=zone),
        datetime.combine(last_on + timedelta(days=1), datetime.min.time(), tzinfo=zone),
    )
    staff_ids = {m.pk for m in staff}
    booked = tuple(
        om.BookedAppointment(
            id=f"a{a.pk}",
            practitioner=f"p{a.practitioner_id}",
            room=f"r{a.room_id}" if a.room_id else f"(no room {a.pk})",
            device=f"d{a.device_id}" if a.device_id else None,
            start_at=a.blocked_from_at,
            end_at=a.blocked_until_at,
        )
        for a in Appointment.objects.filter(
            clinic=clinic, blocked_until_at__gt=start, blocked_from_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(status=AppointmentStatus.HELD, hold_expires_at__lte=now)
        .exclude(pk__in=moving_ids)
        .filter(Q(practitioner_id__in=staff_ids) | Q(location=location))
        .order_by("pk")
    )
    instance = om.ScheduleInstance(
        timezone=clinic.timezone,
        start_on=first_on,
        end_on=last_on,
        grid_min=15,
        practitioners=practitioners,
        rooms=rooms,
        devices=devices,
        booked=booked,
        series=tuple(series),
    )
    return CalendarProblem(instance, sessions, current, service, location)


def optimize_calendar(
    *,
    problem: CalendarProblem,
    time_limit_s: float = 30.0,
    seed: int = 0,
    progress: Callable[[om.Progress], None] | None = None,
) -> om.ScheduleSolution:
    """Solve, then check the answer independently before anyone may apply it."""
    solution = schedule(
        problem.instance,
        time_limit_s=time_limit_s,
        workers=1,
        seed=seed,
        progress=progress,
    )
    problems = validate_solution(problem.instance, solution)
    if problems:
        raise OptimizationRefused("; ".join(problems[:5]))
    return solution


def apply_solution(
    *,
    problem: CalendarProblem,
    solution: om.ScheduleSolution,
    now: datetime,
    booked_by: StaffMember | None = None,
) -> list[Appointment]:
    """Book every assignment through the booking services, in one transaction.

    Moves are tried in passes: a session whose new time is still held by another
    session that moves later waits for the next pass. A pass that gets nowhere means
    the answer no longer fits the calendar, and everything is rolled back.
    """
    staff = {
        f"p{m.pk}": m
        for m in StaffMember.objects.filter(clinic=problem.location.clinic)
    }
    rooms = {f"r{r.pk}": r for r in Room.objects.filter(location=problem.location)}
    devices = {f"d{d.pk}": d for d in Device.objects.filter(location=problem.location)}
    todo = sorted(
        (
            a
            for a in solution.assignments
            if changes_booking(problem.current.get((a.series_id, a.number)), a)
        ),
        key=lambda a: (a.series_id, a.number),
    )
    done: list[Appointment] = []
    with transaction.atomic():
        while todo:
            waiting = []
            for a in todo:
                key = (a.series_id, a.number)
                try:
                    with transaction.atomic():
                        done.append(
                            _apply_one(
                                problem, key, a, staff, rooms, devices, now, booked_by
                            )
                        )
                except (SlotTaken, OutsideWindow):
                    # Still held by a session that moves later in this pass, or
                    # its window re-flows once the session before it has moved.
                    waiting.append(a)
                except BookingError as exc:
                    raise OptimizationRefused(
                        f"{key[0]} session {key[1]}: {exc.message}"
                    ) from exc
            if len(waiting) == len(todo):
                raise OptimizationRefused(
                    f"{len(waiting)} sessions no longer fit the calendar; "
                    "nothing was changed."
                )
            todo = waiting
    return done


def changes_booking(current: Appointment | None, a: om.Assignment) -> bool:
    if current is None:
        return True
    return (
        current.blocked_from_at != a.start_at
        or f"p{current.practitioner_id}" != a.practitioner
        or f"r{current.room_id}" != a.room
        or (f"d{current.device_id}" if current.device_id else None) != a.device
    )


def _apply_one(
    problem: CalendarProblem,
    key: tuple[str, int],
    a: om.Assignment,
    staff: dict[str, StaffMember],
    rooms: dict[str, Room],
    devices: dict[str, Device],
    now: datetime,
    booked_by: StaffMember | None,
) -> Appointment:
    session = problem.sessions[key]
    starts_at = a.start_at + timedelta(minutes=problem.service.buffer_before_min)
    existing = problem.current.get(key)
    if existing is not None:
        return reschedule_appointment(
            appointment=existing,
            starts_at=starts_at,
            now=now,
            practitioner=staff[a.practitioner],
            room=rooms[a.room],
            device=devices[a.device] if a.device else None,
        )
    return book_appointment(
        patient=session.plan.patient,
        service_type=problem.service,
        practitioner=staff[a.practitioner],
        room=rooms[a.room],
        device=devices[a.device] if a.device else None,
        starts_at=starts_at,
        now=now,
        plan_session=session,
        booked_by=booked_by,
    )
