"""Exact dynamic programme over one series' chained days: bound and heuristic.

Once everything outside a series is fixed, the series' cost separates by day:
session k on day d costs a fixed amount for that day (not getting the preferred
practitioner, moving its current booking) plus `|d − d_prev − target|`, and the
chain only links consecutive days. So the cheapest way to place one series is a
shortest path over (session, day) — a few thousand arcs.

- `series_bound`: each series alone, against nothing but the working hours
  (all shared capacity relaxed). The sum over series is a lower bound of every
  schedule's cost (`placement_bound` handles schedules placing fewer sessions).
- `best_path`: the same programme against the capacity the rest of the calendar
  leaves (`optimizer_slots.Slots`), which is what the constructive heuristic and
  the local search in `optimizer_search` insert series with.

Sessions of one series lie on different days (`interval.min ≥ 1`), so they never
compete with each other for a slot and the programme is exact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from skinterval.domain.optimizer_calendar import DAY_MIN, Calendar, SessionSpec
from skinterval.domain.optimizer_greedy import Placement
from skinterval.domain.optimizer_model import (
    WEIGHT_DAY_FROM_TARGET,
    WEIGHT_MOVE,
    WEIGHT_PRACTITIONER_CHANGE,
)
from skinterval.domain.optimizer_slots import Slots

INF = 1 << 60
KEEP = ""  # the day's choice "keep today's booking" (no practitioner id is empty)


def current_start(cal: Calendar, spec: SessionSpec) -> int | None:
    """Today's booking as a naive minute on the grid, or None if it cannot be
    kept whatever happens (wrong practitioner, off the grid, not a real time)."""
    cur = spec.session.current
    if cur is None or cur.practitioner not in spec.practitioner_days:
        return None
    start = cal.minute_of(cur.start_at)
    if start % cal.grid_min or cal.instant(start) != cur.start_at:
        return None
    if start // DAY_MIN not in spec.practitioner_days[cur.practitioner]:
        return None
    return start


def _change(spec: SessionSpec, practitioner: str) -> int:
    preferred = spec.series.preferred_practitioner
    return WEIGHT_PRACTITIONER_CHANGE * (
        preferred is not None and practitioner != preferred
    )


def moved_cost(spec: SessionSpec) -> int:
    """What leaving the session unplaced (or moving it) costs for its booking."""
    return WEIGHT_MOVE * (spec.session.current is not None)


# ------------------------------------------------------------------ the programme


@dataclass(frozen=True)
class Path:
    """The best placement of a series' first `len(days)` sessions."""

    days: tuple[int, ...]
    choices: tuple[str, ...]  # practitioner per session, or KEEP
    cost: float  # including the moves of the sessions left out


DayCosts = Mapping[int, tuple[float, str]]  # day -> (fixed cost, choice)


def chain_paths(
    chain: Sequence[SessionSpec], costs: Sequence[DayCosts], off_target: float = 0.0
) -> list[Path | None]:
    """Cheapest path for every prefix length 0..len(chain) (None: impossible).

    `costs[k]` gives session k's fixed cost on each day it may take; the
    distance from the chained target is added here. A prefix's cost includes the
    moves of the sessions after it, which stay unplaced. `off_target` is added
    for every session away from its target day: a tie-break towards on-target
    days among equal costs when small (below 1 / sessions per series).
    """
    tails = [0] * (len(chain) + 1)
    for k in range(len(chain) - 1, -1, -1):
        tails[k] = tails[k + 1] + moved_cost(chain[k])
    out: list[Path | None] = [Path((), (), tails[0])]
    layers: list[dict[int, tuple[float, int]]] = []  # day -> (cost so far, prev day)
    previous: dict[int, tuple[float, int]] = {}
    for k, spec in enumerate(chain):
        iv = spec.series.interval_days
        layer: dict[int, tuple[float, int]] = {}
        if k == 0:
            target = spec.first_target_day
            for d, (fixed, _) in costs[0].items():
                far = 0 if target is None else abs(d - target)
                tie = off_target if far else 0.0
                layer[d] = (fixed + WEIGHT_DAY_FROM_TARGET * far + tie, -1)
        else:
            # previous days ascending; for day d only those in
            # [d − max, d − min] are possible, found by bisection
            days_before = sorted(previous)
            acc_before = [previous[e][0] for e in days_before]
            lo_gap, hi_gap, target = iv.min_days, iv.max_days, iv.target_days
            for d, (fixed, _) in costs[k].items():
                best: float = INF
                arg = -1
                first = bisect_left(days_before, d - hi_gap)
                last = bisect_right(days_before, d - lo_gap)
                for j in range(first, last):
                    e = days_before[j]
                    far = d - e - target
                    if far < 0:
                        far = -far
                    total = acc_before[j] + WEIGHT_DAY_FROM_TARGET * far
                    if far:
                        total += off_target
                    if total < best:
                        best, arg = total, e
                if arg >= 0:
                    layer[d] = (fixed + best, arg)
        if not layer:
            out.extend([None] * (len(chain) - k))
            return out
        layers.append(layer)
        previous = layer
        end = min(layer, key=lambda d: (layer[d][0], d))
        days = [end]
        for back in range(k, 0, -1):
            days.append(layers[back][days[-1]][1])
        days.reverse()
        choices = tuple(costs[i][d][1] for i, d in enumerate(days))
        out.append(Path(tuple(days), choices, layer[end][0] + tails[k + 1]))
    return out


def best_of(paths: Sequence[Path | None]) -> Path:
    """Most sessions first, then the lowest cost (the contract's order)."""
    for path in reversed(paths):
        if path is not None:
            return path
    raise AssertionError("the empty prefix is always possible")  # pragma: no cover


# ------------------------------------------------------------------ the bound


def relaxed_costs(cal: Calendar, spec: SessionSpec) -> dict[int, tuple[int, str]]:
    """A session's fixed cost per day with every other session ignored, and
    booked appointments too (so never more than in any real schedule)."""
    keep = current_start(cal, spec)
    keep_day = None if keep is None else keep // DAY_MIN
    cur = spec.session.current
    out: dict[int, tuple[int, str]] = {}
    for pid, days in spec.practitioner_days.items():
        cost = _change(spec, pid) + moved_cost(spec)
        for d in days:
            if d not in out or cost < out[d][0]:
                out[d] = (cost, pid)
    if keep_day is not None and cur is not None:
        kept = _change(spec, cur.practitioner)
        if kept < out[keep_day][0]:
            out[keep_day] = (kept, KEEP)
    return out


def series_bound(cal: Calendar, chain: Sequence[SessionSpec]) -> list[float | None]:
    """Per prefix length, the least cost the series can have on its own."""
    paths = chain_paths(chain, [relaxed_costs(cal, s) for s in chain])
    return [None if p is None else p.cost for p in paths]


def placement_table(
    per_series: Sequence[Sequence[float | None]], slack: int
) -> tuple[list[float], list[list[int]]]:
    """`placement_bound`'s knapsack for every total left out up to `slack`.

    Returns `best[u]`, the least total of `per_series[i][longest_i − drop_i]`
    with `Σ drop_i = u` exactly (INF when impossible), and per series and `u`
    the drop that reaches it, so `lengths` can walk the choice back."""
    longest = [max(i for i, c in enumerate(row) if c is not None) for row in per_series]
    best: list[float] = [0.0] + [INF] * slack
    back: list[list[int]] = []
    for row, top in zip(per_series, longest, strict=True):
        nxt: list[float] = [INF] * (slack + 1)
        arg = [0] * (slack + 1)
        options = [
            (drop, c)
            for drop in range(min(top, slack) + 1)
            if (c := row[top - drop]) is not None
        ]
        for used, acc in enumerate(best):
            if acc >= INF:
                continue
            for drop, c in options:
                u = used + drop
                if u > slack:
                    break
                if acc + c < nxt[u]:
                    nxt[u] = acc + c
                    arg[u] = drop
        best = nxt
        back.append(arg)
    return best, back


def table_lengths(
    per_series: Sequence[Sequence[float | None]], back: list[list[int]], used: int
) -> list[int]:
    """The prefix length per series behind `placement_table`'s `best[used]`."""
    out = []
    for row, arg in zip(reversed(per_series), reversed(back), strict=True):
        top = max(i for i, c in enumerate(row) if c is not None)
        out.append(top - arg[used])
        used -= arg[used]
    out.reverse()
    return out


def placement_bound(per_series: Sequence[Sequence[float | None]], placed: int) -> float:
    """Least total over series of `per_series[i][L_i]` with `Σ L_i ≥ placed`.

    Any schedule placing at least `placed` sessions costs at least this, so it
    bounds the contract's objective whenever `placed` is no more than the most
    sessions that can be placed (true for any count a feasible schedule reaches).
    """
    longest = [max(i for i, c in enumerate(row) if c is not None) for row in per_series]
    slack = max(0, sum(longest) - placed)  # sessions that may be left out in total
    best: list[float] = [0.0] + [INF] * slack  # least cost using s of the slack
    for row, top in zip(per_series, longest, strict=True):
        nxt: list[float] = [INF] * (slack + 1)
        for used, acc in enumerate(best):
            if acc >= INF:
                continue
            for drop in range(min(top, slack - used) + 1):
                c = row[top - drop]
                if c is not None and acc + c < nxt[used + drop]:
                    nxt[used + drop] = acc + c
        best = nxt
    return min(best)


# ------------------------------------------------------------------ real capacity


Price = Callable[[SessionSpec, str, int], float]  # (session, practitioner, day)


def real_costs(
    slots: Slots, spec: SessionSpec, keep: int | None, price: Price | None
) -> dict[int, tuple[float, str]]:
    """A session's fixed cost per day against the capacity left in `slots`:
    keep today's booking if it is still free, else the cheapest practitioner
    who has a free start. `price` adds a congestion price (heuristic only)."""
    out: dict[int, tuple[float, str]] = {}
    preferred = spec.series.preferred_practitioner
    order = sorted(spec.practitioner_days, key=lambda p: (p != preferred, p))
    moved = moved_cost(spec)
    for d in spec.days:
        common = slots.common(spec, d)
        if not common:
            continue
        for pid in order:
            if d in spec.practitioner_days[pid] and slots.starts(spec, d, pid, common):
                c: float = _change(spec, pid) + moved
                c += 0.0 if price is None else price(spec, pid, d)
                if d not in out or c < out[d][0]:
                    out[d] = (c, pid)
                if price is None:
                    break
    cur = spec.session.current
    if keep is not None and cur is not None and slots.current(spec, keep) is not None:
        d = keep // DAY_MIN
        kept = _change(spec, cur.practitioner) + (
            0.0 if price is None else price(spec, cur.practitioner, d)
        )
        if d not in out or kept < out[d][0]:
            out[d] = (kept, KEEP)
    return out


def best_path(
    slots: Slots,
    chain: Sequence[SessionSpec],
    keeps: Sequence[int | None],
    price: Price | None = None,
) -> Path:
    """The series' best path given everything already in `slots`; among equal
    costs, the one with the most sessions on their target day."""
    costs = [real_costs(slots, s, k, price) for s, k in zip(chain, keeps, strict=True)]
    return best_of(chain_paths(chain, costs, off_target=1 / (len(chain) + 1)))


def realise(
    slots: Slots, chain: Sequence[SessionSpec], keeps: Sequence[int | None], path: Path
) -> dict[tuple[str, int], Placement]:
    """Take the path's slots (a concrete start, room and device per session)."""
    out = {}
    for spec, keep, day, choice in zip(
        chain, keeps, path.days, path.choices, strict=False
    ):
        p = (
            slots.current(spec, keep)
            if choice == KEEP
            else slots.first(spec, day, choice)
        )
        if p is None:  # pragma: no cover - the path was built from these slots
            break
        slots.take(spec, p)
        out[spec.key] = p
    return out
