"""Clinic-wide calendar optimizer on OR-Tools CP-SAT (the only module importing it).

`optimize_schedule(instance, ...)` places many pending series sessions at once.
Pure: no Django, no clock beyond measuring its own run, no I/O; frozen dataclasses
in and out, progress through a callback.

The model (docs/decisions/0003-optimizer-model.md):
- time is counted in local naive minutes (see `optimizer_calendar`), starts on the
  instance's grid;
- a session picks one eligible practitioner, one room and, when it needs one, one
  device: an optional interval per choice, sharing the session's start, each in
  its resource's NoOverlap together with the booked appointments; working hours
  are the start domains allowed under each choice;
- its local day lies in its window and `interval_days` after the previous
  session's day; a session may only be placed when the previous one is;
- placement comes first (lexicographically: maximise placed sessions, then fix
  that count), then the cost of `optimizer_model.Cost` is minimised.

Small instances get that model whole ("monolithic"); its bound is the better of
CP-SAT's and the series-apart bound of `optimizer_bound`. Large ones
("decomposed") go to `optimizer_paths`: every series is placed whole by an exact
dynamic programme over its days against the capacity the others leave, a
ruin-and-recreate search improves that, and a Lagrangian bound (series apart,
capacities priced) proves how far from optimal it can be. The greedy first-fit
schedule is the warm start and the fallback: the answer is never worse than it
(more sessions placed, or as many at lower cost).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]
from ortools.sat.python import cp_model

from skinterval.domain.optimizer_bound import Lagrangian
from skinterval.domain.optimizer_calendar import (
    DAY_MIN,
    Calendar,
    Prepared,
    SessionSpec,
    Span,
    merge,
    prepare,
)
from skinterval.domain.optimizer_dp import INF, Path, current_start
from skinterval.domain.optimizer_greedy import (
    Placement,
    greedy_placements,
    greedy_schedule,
)
from skinterval.domain.optimizer_model import (
    WEIGHT_DAY_FROM_TARGET,
    WEIGHT_MOVE,
    WEIGHT_PRACTITIONER_CHANGE,
    ScheduleInstance,
    ScheduleSolution,
)
from skinterval.domain.optimizer_paths import solve_paths
from skinterval.domain.optimizer_run import (
    Clock,
    Found,
    ProgressCallback,
    conclude,
    monolithic_fits,
    price,
)

Method = Literal["cp-sat", "greedy"]
Strategy = Literal["auto", "monolithic", "decomposed"]
Key = tuple[str, int]
# ortools' LinearExprT also admits numpy scalars, whose arithmetic overloads mypy
# cannot combine with LinearExpr; model expressions are therefore typed loosely.
Expr = Any


def schedule(
    instance: ScheduleInstance,
    *,
    method: Method = "cp-sat",
    time_limit_s: float = 60.0,
    workers: int = 1,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> ScheduleSolution:
    """What `skinterval optimize` runs: CP-SAT, or the greedy baseline."""
    if method == "greedy":
        return greedy_schedule(instance)
    return optimize_schedule(
        instance,
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
        progress=progress,
    )


class _Run(Clock):
    """The run's clock, and CP-SAT solvers that respect its limits."""

    def solver(self, limit_s: float) -> cp_model.CpSolver:
        """One worker runs on CP-SAT's deterministic clock, so a fixed seed gives
        the same answer on a fast or a busy machine; more workers use wall time."""
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = max(1, self.workers)
        params.random_seed = self.seed
        limit = max(0.05, limit_s)
        if self.workers <= 1:
            params.max_deterministic_time = limit
            params.max_time_in_seconds = max(10.0, 4 * limit)
        else:
            params.max_time_in_seconds = limit
        return solver


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, run: _Run, phase: str) -> None:
        super().__init__()
        self.run = run
        self.phase = phase

    def on_solution_callback(self) -> None:
        self.run.report(self.objective_value, self.best_objective_bound, self.phase)


def _solve(
    run: _Run, model: cp_model.CpModel, limit_s: float, phase: str
) -> tuple[cp_model.CpSolver, Any]:
    solver = run.solver(limit_s)
    status = solver.solve(model, _Reporter(run, phase))
    return solver, status


# --------------------------------------------------------------- day-capacity LP


class _DayCapacityLP:
    """Prices for the Lagrangian bound from the LP of the same relaxation.

    The master LP chooses, per series, a convex mix of whole paths (any prefix
    length, so schedules leaving sessions out are covered), subject to the
    slot capacities of `optimizer_bound` (per practitioner-day, also per session
    size class; per day over rooms and over devices) and to "at least `placed`
    sessions in total". Its columns
    are generated by the series programme itself: `Lagrangian.evaluate` at the
    LP's capacity duals returns every series' cheapest path per prefix length,
    and those whose reduced cost is negative join the master. At convergence
    the duals are optimal Lagrangian prices (LP duality), reached in a few
    dozen rounds where subgradient steps need hundreds and stop short.

    The LP is only a source of prices: every bound reported is
    `Lagrangian.evaluate` at prices ≥ 0, a valid bound by weak duality
    whatever the LP's accuracy or convergence."""

    ARTIFICIAL = 10_000.0  # cost of a series' "no real path" column (feasibility)

    def __init__(self, lag: Lagrangian) -> None:
        self.lag = lag
        solver = pywraplp.Solver.CreateSolver("GLOP")
        assert solver is not None  # noqa: S101 - GLOP ships with ortools
        self.solver = solver
        infinity = solver.infinity()
        self.objective = solver.Objective()
        self.objective.SetMinimization()
        self.rows = {
            k: solver.Constraint(-infinity, float(lag.capacity(k)))
            for k in lag.capacity_keys()
        }
        self.count = solver.Constraint(0.0, infinity)
        self.convex: dict[int, pywraplp.Constraint] = {}
        for i, chain in enumerate(lag.prepared.chains):
            if not chain:
                continue
            row = self.convex[i] = solver.Constraint(1.0, 1.0)
            artificial = solver.NumVar(0.0, infinity, "")
            row.SetCoefficient(artificial, 1.0)
            self.count.SetCoefficient(artificial, float(len(chain)))
            self.objective.SetCoefficient(artificial, self.ARTIFICIAL)
        self.seen: set[tuple[int, tuple[int, ...], tuple[str, ...]]] = set()
        self.given: set[tuple[int, tuple[int, ...], tuple[str, ...]]] = set()
        self.duals: tuple[dict[int, float], float] | None = None
        self.rounds = 0
        self.seconds = 0.0  # wall time of the rounds (pricing and LP solves)

    @property
    def seconds_per_round(self) -> float:
        """Mean wall time of one round so far (pricing and LP), for planning."""
        return self.seconds / max(1, self.rounds)

    def add_paths(self, paths: Mapping[int, Path]) -> None:
        """Columns for given series paths at their given cost (a real schedule's
        series, say, whose cost is at least the relaxed one): a feasible start,
        so the master needs no artificial column for counts it reaches."""
        for i, path in sorted(paths.items()):
            key = (i, path.days, path.choices)
            if i not in self.convex or key in self.given:
                continue
            # kept apart from `seen`: the same path may still join at its
            # relaxed cost when it prices out
            self.given.add(key)
            var = self.solver.NumVar(0.0, self.solver.infinity(), "")
            self.objective.SetCoefficient(var, float(path.cost))
            self.convex[i].SetCoefficient(var, 1.0)
            self.count.SetCoefficient(var, float(len(path.days)))
            for k, n in self.lag.usage(i, path).items():
                self.rows[k].SetCoefficient(var, float(n))

    def solve(self, placed: int, should_stop: Callable[[], bool], rounds: int) -> None:
        """Column generation for schedules placing at least `placed` sessions,
        until no column prices out, `rounds` LP solves, or `should_stop`."""
        lag = self.lag
        if placed != lag.placed or not lag.paths:
            lag.retarget(placed)
            lag.evaluate()  # paths at the current prices, and their bound
            self.duals = None
        self.count.SetLb(float(placed))
        for _ in range(rounds):
            if should_stop():
                return
            started = time.perf_counter()
            if not self._add_columns():
                return
            if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
                return  # pragma: no cover - the artificial columns keep it feasible
            self.rounds += 1
            self.duals = (
                {i: row.dual_value() for i, row in self.convex.items()},
                self.count.dual_value(),
            )
            for k, row in self.rows.items():
                lag.set_price(k, -row.dual_value())
            lag.evaluate()
            self.seconds += time.perf_counter() - started

    def _add_columns(self) -> int:
        lag = self.lag
        added = 0
        for i, paths in enumerate(lag.paths):
            if i not in self.convex:
                continue
            for length, path in enumerate(paths):
                if path is None:
                    continue
                if self.duals is not None:
                    pi, mu = self.duals
                    if path.cost - mu * length - pi[i] >= -1e-7:
                        continue
                key = (i, path.days, path.choices)  # the usage follows from these
                if key in self.seen:
                    continue
                self.seen.add(key)
                use = lag.usage(i, path)
                var = self.solver.NumVar(0.0, self.solver.infinity(), "")
                cost = path.cost - sum(n * lag.price(k) for k, n in use.items())
                self.objective.SetCoefficient(var, min(cost, float(INF)))
                self.convex[i].SetCoefficient(var, 1.0)
                self.count.SetCoefficient(var, float(length))
                for k, n in use.items():
                    self.rows[k].SetCoefficient(var, float(n))
                added += 1
        return added


# --------------------------------------------------------------------------- shared


@dataclass
class _SessionVars:
    """What the chain and objective need from either model, for one session."""

    spec: SessionSpec
    present: cp_model.IntVar
    day: Expr
    preferred: Expr | None
    keep: Expr | None


def _chain_and_cost(
    model: cp_model.CpModel,
    chains: Sequence[Sequence[_SessionVars]],
    *,
    chain: bool,
) -> tuple[Expr, Expr]:
    """Chain constraints; returns (number placed, cost expression)."""
    placed: list[cp_model.IntVar] = []
    cost: list[Expr] = []
    for row in chains:
        for k, v in enumerate(row):
            s = v.spec
            iv = s.series.interval_days
            placed.append(v.present)
            if chain and k:
                prev = row[k - 1]
                model.add_implication(v.present, prev.present)
                gap = v.day - prev.day
                model.add(gap >= iv.min_days).only_enforce_if(v.present)
                model.add(gap <= iv.max_days).only_enforce_if(v.present)
                deviation = gap - iv.target_days
            elif s.first_target_day is not None:
                deviation = v.day - s.first_target_day
            else:
                deviation = None
            if deviation is not None:
                span = s.days[-1] - s.days[0] + iv.max_days + 1
                dist = model.new_int_var(0, span, f"dist_{s.key}")
                model.add(dist >= deviation).only_enforce_if(v.present)
                model.add(dist >= -deviation).only_enforce_if(v.present)
                cost.append(WEIGHT_DAY_FROM_TARGET * dist)
            preferred = s.series.preferred_practitioner
            if preferred is not None:
                kept = 0 if v.preferred is None else v.preferred
                cost.append(WEIGHT_PRACTITIONER_CHANGE * (v.present - kept))
            if s.session.current is not None:
                kept = 0 if v.keep is None else v.keep
                cost.append(WEIGHT_MOVE * (1 - kept))
    return sum(placed), sum(cost)


# ------------------------------------------------------------------- interval model


@dataclass
class _IntervalModel:
    model: cp_model.CpModel
    vars: list[list[_SessionVars]]
    grid: dict[Key, cp_model.IntVar]
    practitioner: dict[Key, dict[str, cp_model.IntVar]]
    room: dict[Key, dict[str, cp_model.IntVar]]
    device: dict[Key, dict[str, cp_model.IntVar]]
    placed: Expr
    cost: Expr


def _domain(ranges: list[Span]) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[lo, hi] for lo, hi in merge(ranges)])


def _interval_model(
    instance: ScheduleInstance,
    cal: Calendar,
    chains: Sequence[Sequence[SessionSpec]],
    *,
    chain: bool,
    extra_busy: Mapping[str, Sequence[Span]] | None = None,
) -> _IntervalModel:
    """The issue's model: per session optional intervals per eligible practitioner,
    room and device sharing one start; NoOverlap per resource with bookings."""
    model = cp_model.CpModel()
    g = cal.grid_min
    intervals: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    rows: list[list[_SessionVars]] = []
    grid_vars: dict[Key, cp_model.IntVar] = {}
    p_lits: dict[Key, dict[str, cp_model.IntVar]] = {}
    r_lits: dict[Key, dict[str, cp_model.IntVar]] = {}
    d_lits: dict[Key, dict[str, cp_model.IntVar]] = {}
    used_days: set[int] = set()
    for specs in chains:
        row = []
        for spec in specs:
            s = spec.series
            dur, buf = s.duration_min, s.buffer_min
            name = f"{s.id}#{spec.session.number}"
            by_practitioner = {
                pid: [r for d in days for r in cal.starts(d, pid, None, dur, buf)]
                for pid, days in sorted(spec.practitioner_days.items())
            }
            every = [r for ranges in by_practitioner.values() for r in ranges]
            used_days.update(spec.days)
            present = model.new_bool_var(f"present_{name}")
            start_g = model.new_int_var_from_domain(_domain(every), f"g_{name}")
            grid_vars[spec.key] = start_g
            day = model.new_int_var(spec.days[0], spec.days[-1], f"day_{name}")
            model.add(DAY_MIN * day <= g * start_g)
            model.add(g * start_g <= DAY_MIN * day + DAY_MIN - 1)
            size = dur + buf

            def optional(lit: cp_model.IntVar, key: str, label: str) -> None:
                intervals[key].append(
                    model.new_optional_interval_var(
                        g * start_g,  # noqa: B023 - used while building only
                        size,  # noqa: B023
                        g * start_g + size,  # noqa: B023
                        lit,
                        label,
                    )
                )

            p_lits[spec.key] = {}
            for pid, ranges in by_practitioner.items():
                lit = model.new_bool_var(f"p_{name}_{pid}")
                model.add_linear_expression_in_domain(
                    start_g, _domain(ranges)
                ).only_enforce_if(lit)
                optional(lit, f"p:{pid}", f"{name}@{pid}")
                p_lits[spec.key][pid] = lit
            model.add(sum(p_lits[spec.key].values()) == present)
            r_lits[spec.key] = {}
            for room in instance.rooms:
                room_days = cal.room_spans[room.id]
                lit = model.new_bool_var(f"r_{name}_{room.id}")
                if room_days is not None:
                    ranges = [
                        r
                        for d in spec.days
                        for r in cal.grid_ranges(room_days[d], dur, buf)
                    ]
                    if not ranges:
                        model.add(lit == 0)
                        continue
                    model.add_linear_expression_in_domain(
                        start_g, _domain(ranges)
                    ).only_enforce_if(lit)
                optional(lit, f"r:{room.id}", f"{name}@{room.id}")
                r_lits[spec.key][room.id] = lit
            model.add(sum(r_lits[spec.key].values()) == present)
            d_lits[spec.key] = {}
            if s.needs_device:
                for device in instance.devices:
                    lit = model.new_bool_var(f"d_{name}_{device.id}")
                    optional(lit, f"d:{device.id}", f"{name}@{device.id}")
                    d_lits[spec.key][device.id] = lit
                model.add(sum(d_lits[spec.key].values()) == present)
            keep = None
            cur = spec.session.current
            start = current_start(cal, spec)
            if cur is not None and start is not None and cur.room in r_lits[spec.key]:
                keep = model.new_bool_var(f"keep_{name}")
                model.add_implication(keep, p_lits[spec.key][cur.practitioner])
                model.add_implication(keep, r_lits[spec.key][cur.room])
                model.add(start_g == start // g).only_enforce_if(keep)
            preferred = p_lits[spec.key].get(s.preferred_practitioner or "")
            row.append(_SessionVars(spec, present, day, preferred, keep))
        rows.append(row)
    lo_min = (min(used_days, default=0)) * DAY_MIN
    hi_min = (max(used_days, default=0) + 2) * DAY_MIN
    busy: dict[str, list[Span]] = {k: list(v) for k, v in cal.busy.items()}
    for k, v in (extra_busy or {}).items():
        busy.setdefault(k, []).extend(v)
    for key, spans in sorted(busy.items()):
        if key not in intervals:
            continue
        for a, b in merge(spans):
            if b > lo_min and a < hi_min:
                intervals[key].append(
                    model.new_fixed_size_interval_var(a, b - a, f"busy_{key}_{a}")
                )
    for key in sorted(intervals):
        model.add_no_overlap(intervals[key])
    placed, cost = _chain_and_cost(model, rows, chain=chain)
    return _IntervalModel(model, rows, grid_vars, p_lits, r_lits, d_lits, placed, cost)


def _hint_interval(
    im: _IntervalModel, cal: Calendar, placed: Mapping[Key, Placement]
) -> None:
    im.model.clear_hints()  # type: ignore[no-untyped-call]
    for row in im.vars:
        for v in row:
            p = placed.get(v.spec.key)
            im.model.add_hint(v.present, p is not None)
            if p is None:
                continue
            im.model.add_hint(im.grid[v.spec.key], p.start // cal.grid_min)
            for kind, chosen in (
                (im.practitioner, p.practitioner),
                (im.room, p.room),
                (im.device, p.device),
            ):
                for rid, lit in kind[v.spec.key].items():
                    im.model.add_hint(lit, rid == chosen)


def _read_interval(
    im: _IntervalModel, cal: Calendar, solver: cp_model.CpSolver
) -> dict[Key, Placement]:
    out = {}
    for row in im.vars:
        for v in row:
            if not solver.boolean_value(v.present):
                continue
            key = v.spec.key

            def chosen(lits: dict[str, cp_model.IntVar]) -> str | None:
                return next(
                    (k for k, lit in lits.items() if solver.boolean_value(lit)), None
                )

            out[key] = Placement(
                practitioner=chosen(im.practitioner[key]) or "",
                room=chosen(im.room[key]) or "",
                device=chosen(im.device[key]),
                start=solver.value(im.grid[key]) * cal.grid_min,
            )
    return out


# --------------------------------------------------------------------------- solving


def _hint_from(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Warm-start the next solve from every value of the last solution."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    values = solver.response_proto.solution
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


@dataclass
class _Outcome:
    solver: cp_model.CpSolver | None
    status: Any
    count_proven: bool
    bound: float | None


def _lexicographic(
    run: _Run,
    model: cp_model.CpModel,
    placed: Expr,
    cost: Expr,
    *,
    total: int,
    baseline: int,
    limit_s: float,
    phase: str,
) -> _Outcome:
    """Maximise placed sessions (skipped when the warm start places them all), then
    keep that many and minimise the cost."""
    count, proven = baseline, baseline >= total
    started = run.elapsed()
    if not proven:
        model.maximize(placed)
        solver, status = _solve(run, model, 0.15 * limit_s, f"{phase}:placement")
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            count = max(count, round(solver.objective_value))
            proven = status == cp_model.OPTIMAL
            _hint_from(model, solver)
    model.add(placed >= count)
    model.minimize(cost)
    left = max(0.05, limit_s - (run.elapsed() - started))
    solver, status = _solve(run, model, left, f"{phase}:cost")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Outcome(None, status, proven, None)
    return _Outcome(solver, status, proven, solver.best_objective_bound)


def _monolithic(
    instance: ScheduleInstance,
    prepared: Prepared,
    warm: Mapping[Key, Placement],
    run: _Run,
) -> tuple[dict[Key, Placement], _Outcome]:
    cal = prepared.calendar
    im = _interval_model(instance, cal, prepared.chains, chain=True)
    _hint_interval(im, cal, warm)
    total = sum(len(c) for c in prepared.chains)
    outcome = _lexicographic(
        run,
        im.model,
        im.placed,
        im.cost,
        total=total,
        baseline=len(warm),
        limit_s=run.remaining(),
        phase="cp-sat",
    )
    if outcome.solver is None:
        return dict(warm), outcome
    return _read_interval(im, cal, outcome.solver), outcome


def optimize_schedule(
    instance: ScheduleInstance,
    *,
    time_limit_s: float = 60.0,
    workers: int = 1,
    seed: int = 0,
    strategy: Strategy = "auto",
    progress: ProgressCallback | None = None,
) -> ScheduleSolution:
    """Place as many pending sessions as possible, then minimise the cost; report
    the objective, a proven bound and the gap. With `workers=1` the result
    depends only on the instance, the time limit and `seed`."""
    run = _Run(time_limit_s, workers, seed, progress)
    prepared = prepare(instance)
    warm = greedy_placements(instance, prepared)
    run.first_feasible_s = run.elapsed()
    run.report(float(price(instance, prepared, warm)[1]), None, "greedy")
    chosen: Strategy = strategy
    if chosen == "auto":
        fits = monolithic_fits(instance, prepared)
        chosen = "monolithic" if fits else "decomposed"
    if not any(prepared.chains):
        found = Found(warm, True, 0.0, {})
    elif chosen == "monolithic":
        placed, outcome = _monolithic(instance, prepared, warm, run)
        found = Found(placed, outcome.count_proven, outcome.bound, {})
    else:
        paths = solve_paths(
            instance,
            prepared,
            warm,
            time_limit_s=time_limit_s,
            deterministic=workers <= 1,
            seed=seed,
            elapsed=run.elapsed,
            report=run.report,
            pricer=_DayCapacityLP,
        )
        found = Found(paths.placed, paths.count_proven, float(paths.bound), paths.stats)
    return conclude(instance, prepared, run, warm, found, chosen)
