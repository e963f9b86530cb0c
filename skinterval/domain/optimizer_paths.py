"""The large-instance strategy: whole-series paths, local search, priced bound.

Runs, in one thread and in this order, within the time limit:

1. constructive schedules: every series inserted whole by `optimizer_dp`, in
   instance order, and the greedy warm start; the better one is kept;
2. the Lagrangian bound (`optimizer_bound`), its prices set by the LP of the
   same relaxation (`pricer`, column generation in `optimizer`; subgradient
   steps without one), which then guide one more construction (congested
   practitioner-days cost more), kept if better;
3. ruin and recreate (`optimizer_search.search`) until `FINAL_SHARE` of the
   time is left;
4. the LP re-priced for the count the best schedule places (the bound covers
   schedules placing at least as many; prices for "everything placed" are far
   from optimal once some sessions may be left out), warm from its columns.

With `deterministic` (one worker) each phase runs a number of iterations fixed
by the time limit instead of reading the clock (the clock only caps the search
at four times the limit, as CP-SAT's deterministic time does; the LP stops on
its round budget or when no column prices out), so the answer depends only on
the instance, the limit and the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from skinterval.domain.optimizer_bound import (
    Lagrangian,
    improve_bound,
    lagrangian,
    slots_of,
)
from skinterval.domain.optimizer_calendar import Prepared, SessionSpec
from skinterval.domain.optimizer_dp import KEEP, Path, series_bound
from skinterval.domain.optimizer_greedy import Placement
from skinterval.domain.optimizer_model import ScheduleInstance
from skinterval.domain.optimizer_search import (
    State,
    construct,
    from_placements,
    search,
)

Key = tuple[str, int]
Report = Callable[[float | None, float | None, str], None]

# Work per second of time limit in deterministic mode, measured on the
# benchmark clinic (2,218 sessions) on one core; smaller instances finish early.
BOUND_STEPS_PER_S = 1.5
SEARCH_STEPS_PER_S = 32.0  # 40 before the size-class rows made LP rounds slower
BOUND_SHARE = 0.15  # of the time limit, for the Lagrangian bound
LP_ROUNDS_PER_S = 1.0  # column-generation rounds per second of limit, at most
FINAL_SHARE = 0.06  # of the time limit, kept to re-price for the final count


class Pricer(Protocol):
    """Sets the Lagrangian's prices towards their optimum for schedules placing
    at least `placed` sessions (`optimizer._DayCapacityLP`)."""

    @property
    def seconds_per_round(self) -> float: ...

    def add_paths(self, paths: Mapping[int, Path]) -> None: ...

    def solve(
        self, placed: int, should_stop: Callable[[], bool], rounds: int
    ) -> None: ...


def schedule_paths(state: State) -> dict[int, Path]:
    """Every series' placed prefix in `state` as a path of the relaxation, at
    its real cost (never below the relaxed cost of the same days and choices)."""
    out = {}
    for i, chain in enumerate(state.prepared.chains):
        days: list[int] = []
        choices: list[str] = []
        for spec, keep in zip(chain, state.keeps[i], strict=True):
            p = state.placed.get(spec.key)
            if p is None or len(days) != spec.session_index:
                break
            cur = spec.session.current
            kept = (
                cur is not None
                and keep == p.start
                and p.practitioner == cur.practitioner
                and p.room == cur.room
            )
            days.append(p.day)
            choices.append(KEEP if kept else p.practitioner)
        out[i] = Path(tuple(days), tuple(choices), float(state.cost[i]))
    return out


@dataclass(frozen=True)
class PathsOutcome:
    placed: dict[Key, Placement]
    bound: int
    count_proven: bool  # no schedule can place more sessions
    stats: Mapping[str, object]


def solve_paths(
    instance: ScheduleInstance,
    prepared: Prepared,
    warm: Mapping[Key, Placement],
    *,
    time_limit_s: float,
    deterministic: bool,
    seed: int,
    elapsed: Callable[[], float],
    report: Report,
    pricer: Callable[[Lagrangian], Pricer] | None = None,
) -> PathsOutcome:
    """Best schedule found and a proven bound of the objective (module doc)."""
    cap_s = 4 * time_limit_s if deterministic else time_limit_s

    def until(share: float) -> Callable[[], bool]:
        limit = cap_s if deterministic else share * time_limit_s
        return lambda: elapsed() >= limit

    rows = [series_bound(prepared.calendar, chain) for chain in prepared.chains]
    most = sum(max(i for i, c in enumerate(r) if c is not None) for r in rows)
    candidates = [
        from_placements(instance, prepared, warm),
        construct(instance, prepared, range(len(prepared.chains))),
    ]
    best = min(candidates, key=lambda s: s.value)
    report(float(best.value[1]), None, "paths")

    lag = lagrangian(instance, prepared, most, lowest=-best.value[0])
    rounds = 5 + int(LP_ROUNDS_PER_S * time_limit_s)
    final_rounds = 5 + int(FINAL_SHARE * LP_ROUNDS_PER_S * 4 * time_limit_s)

    def lp_until(share: float) -> Callable[[], bool]:
        """With one worker the LP runs on its round budget alone (it stops
        early once no column prices out), so a busy machine cannot change its
        prices; otherwise on the clock."""
        if deterministic:
            return lambda: False
        return until(share)

    lp = None if pricer is None else pricer(lag)
    if lp is None:
        improve_bound(
            lag,
            upper=lambda: float(best.value[1]),
            should_stop=until(BOUND_SHARE),
            iterations=5 + int(BOUND_STEPS_PER_S * time_limit_s),
        )
    else:  # priced for the count constructed, from its schedule's columns
        lp.add_paths(schedule_paths(best))
        lp.solve(-best.value[0], lp_until(BOUND_SHARE), rounds)

    def bound_now(state: State) -> int:
        """The bound for schedules placing at least as many as `state`."""
        return lag.bound_for(-state.value[0]) or 0

    bound = bound_now(best)
    report(float(best.value[1]), float(bound), "bound")

    def price(spec: SessionSpec, pid: str, day: int) -> float:
        busy = slots_of(spec, prepared.calendar.grid_min)
        per_slot = lag.practitioner_price(pid, day, busy) + lag.price_r.get(day, 0.0)
        if spec.series.needs_device:
            per_slot += lag.price_d.get(day, 0.0)
        return 0.5 * busy * per_slot

    priced = construct(instance, prepared, range(len(prepared.chains)), price)
    if priced.value < best.value:
        best = priced
    report(float(best.value[1]), float(bound), "priced paths")

    last = [elapsed()]

    def improved(state: State) -> None:
        if elapsed() - last[0] >= 1.0:
            last[0] = elapsed()
            report(float(state.value[1]), float(bound_now(state)), "search")

    # time kept for re-pricing at the end: a share of the limit, more on a
    # machine where rounds are slow (about ten rounds follow the new count)
    keep_s = 0.0
    if lp is not None:
        slow = min(0.25 * time_limit_s, 10 * lp.seconds_per_round)
        keep_s = max(FINAL_SHARE * time_limit_s, slow)

    def done() -> bool:
        share = 1.0 - keep_s / time_limit_s if time_limit_s > 0 else 1.0
        return until(share)() or (
            -best.value[0] >= most and best.value[1] <= lag.proven  # optimal
        )

    best = search(
        best,
        rng=random.Random(seed),  # noqa: S311 - a reproducible search, not secrets
        iterations=int(SEARCH_STEPS_PER_S * time_limit_s) if deterministic else 1 << 62,
        should_stop=done,
        on_improve=improved,
    )
    placed = -best.value[0]
    if lp is not None:  # re-priced for the count placed, from the columns so far
        lp.add_paths(schedule_paths(best))
        pricing = lp  # narrowed, for the closure

        def final_stop() -> bool:
            """No round starts that would end past the limit."""
            return elapsed() + pricing.seconds_per_round >= time_limit_s

        lp.solve(placed, (lambda: False) if deterministic else final_stop, final_rounds)
    bound = lag.rebound(placed)
    stats = {
        "lagrangian_steps": lag.steps,
        "lp_rounds": getattr(lp, "rounds", 0),
        "relaxed_bound": lag.first,
        "lagrangian_bound": bound,
    }
    return PathsOutcome(dict(best.placed), bound, placed >= most, stats)
