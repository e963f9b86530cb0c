"""Calendar optimizer against the greedy first-fit baseline, on one generated clinic.

The instance (bench/instances.py, seed fixed): 600 patients with 3-6 remaining
sessions, 12 practitioners, 8 rooms, 5 devices, 16 weeks, two practitioners on
leave after 30 % of patients were booked. By default the busy clinic (part-time
needling staff, 1,650 booked consultations; practitioners about 80 % and rooms
about 74 % utilised, figures in the params); `run(busy=False)` measures the
earlier half-empty clinic (about 42 % / 48 %), where first-fit is already near
the ceiling of on-target sessions.
Both methods solve the same instance in the same run; both solutions must pass the
independent validator, or the benchmark fails.

Figures:
- `optimizer_gap` (unit "ratio"): (objective − bound) / max(1, |objective|) at the
  60 s limit, as in the contract;
- `optimizer_first_feasible_s`: seconds until the optimizer holds a complete valid
  schedule (its greedy warm start counts, and is what it would return if stopped);
- `optimizer_on_target_pct` / `greedy_on_target_pct`: pending sessions placed
  exactly on their chained target day, per cent of the sessions whose window meets
  the horizon.
"""

from __future__ import annotations

import sys
import time

from bench.instances import (
    clinic_instance,
    utilisation,
    with_current_bookings,
    with_leave,
)
from bench.results import Result
from skinterval.domain.optimizer import optimize_schedule
from skinterval.domain.optimizer_calendar import prepare
from skinterval.domain.optimizer_greedy import greedy_schedule
from skinterval.domain.optimizer_model import (
    Progress,
    ScheduleSolution,
    on_target_count,
    parse_instance,
    solution_as_json,
)
from skinterval.domain.schedule_validator import validate_solution

SEED = 7
TIME_LIMIT_S = 60.0
WORKERS = 2  # the benchmark machine's cores


def _progress(p: Progress) -> None:
    if p.phase.startswith("day ") and p.phase != "days":
        return  # one line per time-tabled day would drown the rest
    print(
        f"[bench]     {p.elapsed_s:6.1f} s  objective {p.objective}  "
        f"bound {p.bound}  ({p.phase})",
        file=sys.stderr,
        flush=True,
    )


def _checked(name: str, instance: object, solution: ScheduleSolution) -> None:
    problems = validate_solution(instance, solution)  # type: ignore[arg-type]
    if problems:
        raise AssertionError(f"{name} solution is invalid: {problems[:5]}")


def run(*, busy: bool = True) -> list[Result]:
    started = time.perf_counter()
    data = clinic_instance(seed=SEED, busy=busy)
    before_leave = parse_instance(data)
    booked_today = solution_as_json(greedy_schedule(before_leave), before_leave)
    placements = {(a["series"], a["number"]): a for a in booked_today["assignments"]}
    data = with_leave(with_current_bookings(data, placements, SEED))
    used = utilisation(data)
    instance = parse_instance(data)
    sessions = sum(len(c) for c in prepare(instance).chains)
    print(
        f"[bench]   instance ready in {time.perf_counter() - started:.1f} s: "
        f"{sessions} sessions inside the horizon",
        file=sys.stderr,
        flush=True,
    )

    greedy = greedy_schedule(instance)
    _checked("greedy", instance, greedy)
    print(f"[bench]   greedy: objective {greedy.objective}", file=sys.stderr)
    best = optimize_schedule(
        instance,
        time_limit_s=TIME_LIMIT_S,
        workers=WORKERS,
        seed=0,
        progress=_progress,
    )
    _checked("optimizer", instance, best)

    params = {
        "patients": 600,
        "practitioners": 12,
        "rooms": 8,
        "devices": 5,
        "weeks": 16,
        "busy": busy,
        "booked": len(data["booked"]),
        "practitioner_utilisation": used["practitioner"],
        "room_utilisation": used["room"],
        "seed": SEED,
        "time_limit_s": TIME_LIMIT_S,
        "workers": WORKERS,
        "sessions": sessions,
    }
    outcome = {
        "status": best.status,
        "objective": best.objective,
        "bound": best.bound,
        "strategy": best.stats.get("strategy"),
        "placed": best.stats.get("placed"),
        "greedy_objective": greedy.objective,
        "greedy_placed": greedy.stats.get("placed"),
        "fell_back_to_greedy": best.stats.get("fell_back_to_greedy"),
    }
    opt_pct = 100.0 * on_target_count(instance, best) / max(1, sessions)
    greedy_pct = 100.0 * on_target_count(instance, greedy) / max(1, sessions)
    return [
        Result(
            "optimizer_gap",
            round(best.gap if best.gap is not None else 1.0, 4),
            "ratio",
            {**params, **outcome},
        ),
        Result(
            "optimizer_first_feasible_s",
            round(best.first_feasible_s or 0.0, 3),
            "s",
            {**params, "source": "greedy warm start"},
        ),
        Result("optimizer_on_target_pct", round(opt_pct, 2), "%", params),
        Result("greedy_on_target_pct", round(greedy_pct, 2), "%", params),
    ]
