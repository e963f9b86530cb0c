"""First-fit placement: the benchmark's baseline, the optimizer's warm start, and
its repair step. Pure Python, no solver.

`greedy_schedule` takes sessions in target order (a queue keyed by each session's
target day, which for later sessions is only known once the previous one is placed)
and puts each on the free day nearest its target — keeping today's booking when it
is still free and inside the window, as a front desk would.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping
from dataclasses import dataclass

from skinterval.domain.optimizer_calendar import (
    DAY_MIN,
    Calendar,
    Prepared,
    SessionSpec,
    Span,
    prepare,
)
from skinterval.domain.optimizer_model import (
    Assignment,
    ScheduleInstance,
    ScheduleSolution,
    Unscheduled,
    relative_gap,
    solution_cost,
)

NO_ROOM_REASON = "no free practitioner, room and device time in its window"


@dataclass(frozen=True)
class Placement:
    """A session's resources and start, in local naive minutes."""

    practitioner: str
    room: str
    device: str | None
    start: int

    @property
    def day(self) -> int:
        return self.start // DAY_MIN


class Occupancy:
    """Busy spans per resource, bucketed by local day for quick overlap checks."""

    def __init__(self, cal: Calendar) -> None:
        self._spans: dict[str, dict[int, list[Span]]] = {}
        for key, spans in cal.busy.items():
            for a, b in spans:
                self.add(key, a, b)

    def free(self, key: str, a: int, b: int) -> bool:
        buckets = self._spans.get(key)
        if buckets is None:
            return True
        for day in range(a // DAY_MIN, (b - 1) // DAY_MIN + 1):
            for c, d in buckets.get(day, ()):
                if c < b and a < d:
                    return False
        return True

    def add(self, key: str, a: int, b: int) -> None:
        buckets = self._spans.setdefault(key, {})
        for day in range(a // DAY_MIN, (b - 1) // DAY_MIN + 1):
            buckets.setdefault(day, []).append((a, b))

    def take(self, spec: SessionSpec, placement: Placement) -> None:
        a = placement.start
        b = a + spec.series.duration_min + spec.series.buffer_min
        self.add(f"p:{placement.practitioner}", a, b)
        self.add(f"r:{placement.room}", a, b)
        if placement.device is not None:
            self.add(f"d:{placement.device}", a, b)


def practitioner_order(spec: SessionSpec) -> list[str]:
    preferred = spec.series.preferred_practitioner
    ordered = sorted(spec.practitioner_days, key=lambda p: (p != preferred,))
    return ordered


def fits(
    cal: Calendar,
    occ: Occupancy,
    spec: SessionSpec,
    practitioner: str,
    room: str,
    start: int,
    devices: list[str],
) -> Placement | None:
    """The placement at `start` if the practitioner works, the room is open, and
    they and a device (when needed) are free for the session and its buffer."""
    s = spec.series
    end = start + s.duration_min
    busy_end = end + s.buffer_min
    day = start // DAY_MIN
    if not any(
        a <= start and end <= b for a, b in cal.practitioner_spans[practitioner][day]
    ):
        return None
    if not cal.room_open(room, start, end) or not cal.is_safe(start, busy_end):
        return None
    if start % cal.grid_min:
        return None
    if not (
        occ.free(f"p:{practitioner}", start, busy_end)
        and occ.free(f"r:{room}", start, busy_end)
    ):
        return None
    if not s.needs_device:
        return Placement(practitioner, room, None, start)
    for device in devices:
        if occ.free(f"d:{device}", start, busy_end):
            return Placement(practitioner, room, device, start)
    return None


def first_fit(
    cal: Calendar,
    occ: Occupancy,
    spec: SessionSpec,
    day: int,
    rooms: list[str],
    devices: list[str],
) -> Placement | None:
    """The earliest free start on `day`, preferred practitioner first."""
    s = spec.series
    g = cal.grid_min
    for pid in practitioner_order(spec):
        if day not in spec.practitioner_days[pid]:
            continue
        for lo, hi in cal.starts(day, pid, None, s.duration_min, s.buffer_min):
            for k in range(lo, hi + 1):
                for room in rooms:
                    found = fits(cal, occ, spec, pid, room, k * g, devices)
                    if found is not None:
                        return found
    return None


def window(spec: SessionSpec, previous_day: int | None) -> list[int]:
    iv = spec.series.interval_days
    if previous_day is None:
        return list(spec.days)
    lo, hi = previous_day + iv.min_days, previous_day + iv.max_days
    return [d for d in spec.days if lo <= d <= hi]


def current_placement(
    cal: Calendar,
    occ: Occupancy,
    spec: SessionSpec,
    days: list[int],
    devices: list[str],
) -> Placement | None:
    """Today's booking, if it is still inside the window and free."""
    cur = spec.session.current
    if cur is None:
        return None
    start = cal.minute_of(cur.start_at)
    if start // DAY_MIN not in days or cur.practitioner not in spec.practitioner_days:
        return None
    if cal.instant(start) != cur.start_at:
        return None
    ordered = [cur.device] if cur.device in devices else []
    ordered += [d for d in devices if d != cur.device]
    return fits(cal, occ, spec, cur.practitioner, cur.room, start, ordered)


def greedy_placements(
    instance: ScheduleInstance, prepared: Prepared
) -> dict[tuple[str, int], Placement]:
    cal = prepared.calendar
    occ = Occupancy(cal)
    rooms = [r.id for r in instance.rooms]
    devices = [d.id for d in instance.devices]
    placed: dict[tuple[str, int], Placement] = {}
    queue: list[tuple[int, int, int]] = []
    for ci, chain in enumerate(prepared.chains):
        if chain and chain[0].first_target_day is not None:
            heapq.heappush(queue, (chain[0].first_target_day, ci, 0))
    while queue:
        target, ci, k = heapq.heappop(queue)
        chain = prepared.chains[ci]
        spec = chain[k]
        previous = placed[chain[k - 1].key].day if k else None
        days = window(spec, previous)
        found = current_placement(cal, occ, spec, days, devices)
        for day in sorted(days, key=lambda d: (abs(d - target), d)):
            if found is not None:
                break
            found = first_fit(cal, occ, spec, day, rooms, devices)
        if found is None:
            continue
        occ.take(spec, found)
        placed[spec.key] = found
        if k + 1 < len(chain):
            next_target = found.day + spec.series.interval_days.target_days
            heapq.heappush(queue, (next_target, ci, k + 1))
    return placed


def build_solution(
    instance: ScheduleInstance,
    prepared: Prepared,
    placed: Mapping[tuple[str, int], Placement],
    *,
    status: str,
    bound: float | None,
    stats: Mapping[str, object],
    elapsed_s: float,
    first_feasible_s: float | None,
    reason: str = NO_ROOM_REASON,
) -> ScheduleSolution:
    """Assignments for the placed prefix of every series; the rest unscheduled with
    a reason (the first with `reason`, later ones pointing back at it)."""
    cal = prepared.calendar
    assignments = []
    unscheduled = []
    impossible = {(u.series_id, u.number): u for u in prepared.impossible}
    for chain, series in zip(prepared.chains, instance.series, strict=True):
        missing: int | None = None
        for spec in chain:
            p = placed.get(spec.key) if missing is None else None
            if p is None:
                if missing is None:
                    missing = spec.session.number
                    unscheduled.append(Unscheduled(series.id, missing, reason))
                else:
                    unscheduled.append(
                        Unscheduled(
                            series.id,
                            spec.session.number,
                            f"previous session {missing} is unscheduled",
                        )
                    )
                continue
            end = p.start + series.duration_min
            assignments.append(
                Assignment(
                    series.id,
                    spec.session.number,
                    p.practitioner,
                    p.room,
                    p.device,
                    cal.instant(p.start),
                    cal.instant(end),
                )
            )
        for session in series.sessions[len(chain) :]:
            unscheduled.append(impossible[(series.id, session.number)])
    cost = solution_cost(instance, assignments)
    objective = float(cost.total)
    full_stats = {
        **stats,
        "placed": len(assignments),
        "unscheduled": len(unscheduled),
        "days_from_target": cost.days_from_target,
        "moves": cost.moves,
        "practitioner_changes": cost.practitioner_changes,
    }
    return ScheduleSolution(
        status=status,  # type: ignore[arg-type]
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        assignments=tuple(assignments),
        unscheduled=tuple(unscheduled),
        stats=full_stats,
        elapsed_s=elapsed_s,
        first_feasible_s=first_feasible_s,
    )


def greedy_schedule(instance: ScheduleInstance) -> ScheduleSolution:
    """The first-fit baseline (`--method greedy`): feasible, not optimised, no bound."""
    started = time.perf_counter()
    prepared = prepare(instance)
    placed = greedy_placements(instance, prepared)
    elapsed = time.perf_counter() - started
    return build_solution(
        instance,
        prepared,
        placed,
        status="feasible",
        bound=None,
        stats={"method": "greedy"},
        elapsed_s=elapsed,
        first_feasible_s=elapsed,
    )
