"""The solver-free parts of one optimizer run: clock and progress, the choice of
strategy, pricing placements, and turning the best schedule into the answer.

`optimizer.optimize_schedule` (the one module that imports the solver) runs the
strategies; this module holds what does not depend on OR-Tools, so the public
entry point stays small.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from skinterval.domain.optimizer_bound import lagrangian
from skinterval.domain.optimizer_calendar import Prepared
from skinterval.domain.optimizer_greedy import Placement, build_solution
from skinterval.domain.optimizer_model import (
    Progress,
    ScheduleInstance,
    ScheduleSolution,
    solution_cost,
)

ProgressCallback = Callable[[Progress], None]
Key = tuple[str, int]

# Above this many (session, day, practitioner, room) choices the whole interval
# model is too slow to prove anything in a minute; the path search takes over.
MONOLITHIC_LIMIT = 20_000


@dataclass
class Clock:
    """Wall clock, limits and progress reporting shared by one run."""

    time_limit_s: float
    workers: int
    seed: int
    progress: ProgressCallback | None
    started: float = field(default_factory=time.perf_counter)
    first_feasible_s: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        return max(0.0, self.time_limit_s - self.elapsed())

    def report(self, objective: float | None, bound: float | None, phase: str) -> None:
        if self.progress is not None:
            self.progress(Progress(round(self.elapsed(), 3), objective, bound, phase))


def monolithic_fits(instance: ScheduleInstance, prepared: Prepared) -> bool:
    """Whether the whole interval model is small enough to solve at once."""
    size = sum(
        len(days)
        for chain in prepared.chains
        for s in chain
        for days in s.practitioner_days.values()
    ) * len(instance.rooms)
    return size <= MONOLITHIC_LIMIT


def price(
    instance: ScheduleInstance, prepared: Prepared, placed: Mapping[Key, Placement]
) -> tuple[int, int]:
    """(sessions placed, cost) of a set of placements."""
    solution = build_solution(
        instance,
        prepared,
        placed,
        status="feasible",
        bound=None,
        stats={},
        elapsed_s=0.0,
        first_feasible_s=None,
    )
    return len(solution.assignments), solution_cost(
        instance, solution.assignments
    ).total


@dataclass(frozen=True)
class Found:
    """What a strategy returns: its schedule, whether no schedule can place
    more sessions, a proven bound (or None) and its own statistics."""

    placed: Mapping[Key, Placement]
    count_proven: bool
    bound: float | None
    stats: Mapping[str, object]


def conclude(
    instance: ScheduleInstance,
    prepared: Prepared,
    clock: Clock,
    warm: Mapping[Key, Placement],
    found: Found,
    strategy: str,
) -> ScheduleSolution:
    """The answer: the strategy's schedule unless greedy's is better (more
    sessions, or as many for less), with a bound no weaker than the series
    apart, its status and the deterministic statistics."""
    warm_placed, warm_cost = price(instance, prepared, warm)
    placed = dict(found.placed)
    n, cost = price(instance, prepared, placed)
    used_warm = (n, -cost) < (warm_placed, -warm_cost)
    if used_warm:
        placed, n, cost = dict(warm), warm_placed, warm_cost
    bound = found.bound
    total = sum(len(c) for c in prepared.chains)
    if strategy == "monolithic" and total:
        # series apart (shared capacity relaxed): cheap, and a bound of its own
        apart = lagrangian(instance, prepared, n)
        apart.evaluate()
        bound = max(bound if bound is not None else apart.proven, apart.proven)
    if bound is not None:
        # costs are integers, so rounding a proven bound to nearest stays proven
        bound = float(min(round(bound), cost))
    optimal = found.count_proven and bound is not None and cost <= bound
    stats = {
        "method": "cp-sat",
        "strategy": strategy,
        "seed": clock.seed,
        "workers": clock.workers,
        "time_limit_s": clock.time_limit_s,
        "sessions_in_model": total,
        "placement_proven_maximal": found.count_proven,
        "greedy_objective": warm_cost,
        "greedy_placed": warm_placed,
        "fell_back_to_greedy": used_warm,
        **found.stats,
    }
    elapsed = clock.elapsed()
    clock.report(float(cost), bound, "done")
    return build_solution(
        instance,
        prepared,
        placed,
        status="optimal" if optimal else "feasible",
        bound=bound,
        stats=stats,
        elapsed_s=elapsed,
        first_feasible_s=clock.first_feasible_s,
    )
