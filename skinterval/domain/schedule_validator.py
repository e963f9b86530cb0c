"""An independent check of a schedule against its instance (contract §4).

Written apart from the optimizer on purpose: it reads the instance's local clock
times through `zoneinfo` directly and compares real instants, so a mistake in the
optimizer's time axis (its local-minute arithmetic, its DST handling) shows up here
instead of being repeated. Every optimizer and greedy solution in the tests, and any
plan about to be booked, goes through `validate_solution`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from skinterval.domain.optimizer_model import (
    Assignment,
    ScheduleInstance,
    ScheduleSolution,
    WorkingHours,
)


def _within(hours: tuple[WorkingHours, ...], weekday: int, lo: int, hi: int) -> bool:
    """[lo, hi] (local clock minutes) inside the weekday's hours, rows joined."""
    spans = sorted((h.start_min, h.end_min) for h in hours if h.weekday == weekday)
    joined: list[list[int]] = []
    for a, b in spans:
        if joined and a <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return any(a <= lo and hi <= b for a, b in joined)


def validate_solution(
    instance: ScheduleInstance, solution: ScheduleSolution
) -> list[str]:
    """Every broken rule, one line each; empty when the solution is valid."""
    zone = instance.zone
    problems: list[str] = []
    series_by_id = {s.id: s for s in instance.series}
    practitioners = {p.id: p for p in instance.practitioners}
    rooms = {r.id: r for r in instance.rooms}
    devices = {d.id for d in instance.devices}
    placed: dict[tuple[str, int], Assignment] = {}
    seen: set[tuple[str, int]] = set()

    for a in solution.assignments:
        key = (a.series_id, a.number)
        label = f"{a.series_id}#{a.number}"
        if key in seen:
            problems.append(f"{label}: appears more than once")
        seen.add(key)
        placed[key] = a
        series = series_by_id.get(a.series_id)
        if series is None or a.number not in {s.number for s in series.sessions}:
            problems.append(f"{label}: no such pending session")
            continue
        if a.practitioner not in series.practitioners:
            problems.append(f"{label}: practitioner {a.practitioner} is not eligible")
        if a.room not in rooms:
            problems.append(f"{label}: unknown room {a.room}")
        if series.needs_device and (a.device is None or a.device not in devices):
            problems.append(f"{label}: needs a device, got {a.device}")
        if a.end_at - a.start_at != timedelta(minutes=series.duration_min):
            problems.append(f"{label}: lasts {a.end_at - a.start_at}, not the duration")
        start, end = a.start_at.astimezone(zone), a.end_at.astimezone(zone)
        on = start.date()
        if not instance.start_on <= on <= instance.end_on:
            problems.append(f"{label}: {on} is outside the horizon")
        if (
            start.second
            or start.microsecond
            or ((start.hour * 60 + start.minute) % instance.grid_min)
        ):
            problems.append(f"{label}: {start.time()} is not on the grid")
        lo = start.hour * 60 + start.minute
        hi = end.hour * 60 + end.minute
        if end.date() != on:
            problems.append(f"{label}: crosses local midnight")
            continue
        p = practitioners.get(a.practitioner)
        if p is not None:
            if any(o.start_on <= on <= o.end_on for o in p.off):
                problems.append(f"{label}: {p.id} is off on {on}")
            elif not _within(p.hours, on.weekday(), lo, hi):
                problems.append(f"{label}: outside {p.id}'s working hours")
        room = rooms.get(a.room)
        if (
            room is not None
            and room.hours is not None
            and not _within(room.hours, on.weekday(), lo, hi)
        ):
            problems.append(f"{label}: outside room {room.id}'s hours")

    problems += _overlaps(instance, solution.assignments)
    problems += _chains(instance, solution, placed, seen)
    return problems


def _overlaps(
    instance: ScheduleInstance, assignments: tuple[Assignment, ...]
) -> list[str]:
    busy: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    buffers = {s.id: s.buffer_min for s in instance.series}
    for b in instance.booked:
        for key in (f"practitioner {b.practitioner}", f"room {b.room}"):
            busy[key].append((b.start_at, b.end_at, f"booked {b.id}"))
        if b.device is not None:
            busy[f"device {b.device}"].append((b.start_at, b.end_at, f"booked {b.id}"))
    for a in assignments:
        end = a.end_at + timedelta(minutes=buffers.get(a.series_id, 0))
        label = f"{a.series_id}#{a.number}"
        busy[f"practitioner {a.practitioner}"].append((a.start_at, end, label))
        busy[f"room {a.room}"].append((a.start_at, end, label))
        if a.device is not None:
            busy[f"device {a.device}"].append((a.start_at, end, label))
    problems = []
    for resource, spans in sorted(busy.items()):
        spans.sort(key=lambda s: (s[0], s[1], s[2]))
        latest_end, latest_label = None, ""
        for start, end, label in spans:
            if latest_end is not None and start < latest_end:
                problems.append(f"{label}: overlaps {latest_label} on {resource}")
            if latest_end is None or end > latest_end:
                latest_end, latest_label = end, label
    return problems


def _chains(
    instance: ScheduleInstance,
    solution: ScheduleSolution,
    placed: dict[tuple[str, int], Assignment],
    seen: set[tuple[str, int]],
) -> list[str]:
    zone = instance.zone
    problems = []
    unscheduled = {(u.series_id, u.number) for u in solution.unscheduled}
    for key in sorted(unscheduled & seen):
        problems.append(f"{key[0]}#{key[1]}: both placed and unscheduled")
    for series in instance.series:
        iv = series.interval_days
        previous: date | None = series.last_done_on
        gap_at: int | None = None
        for session in series.sessions:
            key = (series.id, session.number)
            label = f"{series.id}#{session.number}"
            if key not in placed and key not in unscheduled:
                problems.append(f"{label}: neither placed nor unscheduled")
            a = placed.get(key)
            if a is None:
                gap_at = session.number if gap_at is None else gap_at
                continue
            if gap_at is not None:
                problems.append(f"{label}: placed after unscheduled session {gap_at}")
            on = a.start_at.astimezone(zone).date()
            if not session.earliest_on <= on <= session.latest_on:
                problems.append(
                    f"{label}: {on} is outside {session.earliest_on}.."
                    f"{session.latest_on}"
                )
            if previous is not None:
                days = (on - previous).days
                if not iv.min_days <= days <= iv.max_days:
                    problems.append(
                        f"{label}: {days} days after the previous session, "
                        f"not {iv.min_days}-{iv.max_days}"
                    )
            previous = on
    return problems
