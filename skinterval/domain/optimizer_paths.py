"""The large-instance strategy: whole-series paths, local search, priced bound.

Runs, in one thread and in this order, within the time limit:

1. constructive schedules: every series inserted whole by `optimizer_dp`, in
   instance order, and the greedy warm start; the better one is kept;
2. the Lagrangian bound (`optimizer_bound`), whose prices then guide one more
   construction (congested practitioner-days cost more), kept if better;
3. ruin and recreate (`optimizer_search.search`) for the rest of the time.

With `deterministic` (one worker) each phase runs a number of iterations fixed
by the time limit instead of reading the clock (the clock only caps the run at
four times the limit, as CP-SAT's deterministic time does), so the answer
depends only on the instance, the limit and the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from skinterval.domain.optimizer_bound import improve_bound, lagrangian, slots_of
from skinterval.domain.optimizer_calendar import Prepared, SessionSpec
from skinterval.domain.optimizer_dp import series_bound
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
SEARCH_STEPS_PER_S = 25.0
BOUND_SHARE = 0.15  # of the time limit, for the Lagrangian bound


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

    lag = lagrangian(instance, prepared, most)
    bound = improve_bound(
        lag,
        upper=lambda: float(best.value[1]),
        should_stop=until(BOUND_SHARE),
        iterations=5 + int(BOUND_STEPS_PER_S * time_limit_s),
    )
    report(float(best.value[1]), float(bound), "bound")

    def price(spec: SessionSpec, pid: str, day: int) -> float:
        busy = slots_of(spec, prepared.calendar.grid_min)
        per_slot = lag.price_p.get((pid, day), 0.0) + lag.price_r.get(day, 0.0)
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
            report(float(state.value[1]), float(bound), "search")

    def done() -> bool:
        return until(1.0)() or (
            -best.value[0] >= most and best.value[1] <= bound  # optimal
        )

    best = search(
        best,
        rng=random.Random(seed),  # noqa: S311 - a reproducible search, not secrets
        iterations=int(SEARCH_STEPS_PER_S * time_limit_s) if deterministic else 1 << 62,
        should_stop=done,
        on_improve=improved,
    )
    placed = -best.value[0]
    if placed < most:  # the prices were tuned for schedules placing everything
        bound = lag.rebound(placed)
    stats = {
        "lagrangian_steps": lag.steps,
        "relaxed_bound": lag.first,
        "lagrangian_bound": bound,
    }
    return PathsOutcome(dict(best.placed), bound, placed >= most, stats)
