"""The series-apart bound, the path programme and the path search.

The bound must never exceed the true optimum (checked against CP-SAT solving
tiny instances exactly), the programme must be exact for one series (checked
against brute force over every day assignment), and every schedule the path
search returns must pass the independent validator, the same way twice.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from skinterval.domain.optimizer import _DayCapacityLP, optimize_schedule
from skinterval.domain.optimizer_bound import _fillable, lagrangian
from skinterval.domain.optimizer_calendar import prepare
from skinterval.domain.optimizer_dp import (
    best_of,
    chain_paths,
    placement_bound,
    placement_table,
    relaxed_costs,
    series_bound,
)
from skinterval.domain.optimizer_model import (
    WEIGHT_DAY_FROM_TARGET,
    ScheduleInstance,
    dumps_solution,
    parse_instance,
)
from skinterval.domain.schedule_validator import validate_solution
from skinterval.domain.tests.test_optimizer import base, series


def _random_clinic(
    seed: int, n_series: int, *, fragmented: bool = False
) -> dict[str, Any]:
    """Two practitioners with different weekdays, one room, short series whose
    targets pile up on the same days, some with a current booking. Fragmented:
    sessions of mixed lengths and buffers, and consultations that leave holes
    too short for some of them."""
    rng = random.Random(seed)
    short = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in (0, 1, 3)]
    other = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in (1, 2, 4)]
    rows = []
    for i in range(n_series):
        first = f"2027-01-{rng.choice([5, 5, 7, 8]):02d}"
        row = series(
            f"s{i}",
            first_on=first,
            n=rng.choice([1, 2, 3]),
            preferred_practitioner=rng.choice(["alice", "bob", None]),
            needs_device=rng.random() < 0.5,
        )
        row["interval_days"] = {"min": 5, "target": 7, "max": 9}
        if fragmented:
            row["duration_min"] = rng.choice([30, 45, 60])
            row["buffer_min"] = rng.choice([0, 10, 15])
        for k, session in enumerate(row["sessions"]):
            session["earliest_on"] = f"2027-01-{4 + 7 * k:02d}"
            session["latest_on"] = f"2027-01-{10 + 7 * k:02d}"
        rows.append(row)
    data = base(
        practitioners=[
            {"id": "alice", "hours": short},
            {"id": "bob", "hours": other},
        ],
        rooms=[{"id": "r1"}],
        series=rows,
    )
    if fragmented:
        data["booked"] = [
            {
                "id": f"b{day}{who}",
                "practitioner": who,
                "room": "r1",
                "start": f"2027-01-{day:02d}T{clock}:00+00:00",
                "end": f"2027-01-{day:02d}T{clock[:2]}:{int(clock[3:]) + 20}:00+00:00",
            }
            for day, who, clock in [
                (4 + 7 * w + k, p, rng.choice(["09:35", "10:05", "10:20"]))
                for w in range(3)
                for k, p in ((1, "alice"), (3, "alice"), (2, "bob"))
            ]
        ]
    if n_series:
        data["series"][0]["sessions"][0]["current"] = {
            "practitioner": "bob",
            "room": "r1",
            "start": "2027-01-05T09:00:00+00:00",
        }
    return data


def _piled_on_alices_tuesdays(*, count: int, sessions: int) -> ScheduleInstance:
    """`count` series of `sessions` sessions, all wanting alice on the same
    Tuesdays (from 5 January 2027)."""
    rows = [
        series(
            f"s{i}", first_on="2027-01-05", n=sessions, preferred_practitioner="alice"
        )
        for i in range(count)
    ]
    return parse_instance(base(series=rows))


def _series_apart_bound(instance: ScheduleInstance, placed: int) -> int:
    prepared = prepare(instance)
    rows = [series_bound(prepared.calendar, c) for c in prepared.chains]
    lag = lagrangian(instance, prepared, placed)
    for _ in range(15):
        lag.step(upper=100.0, theta=1.0)
    relaxed = placement_bound(rows, placed)
    assert lag.first == pytest.approx(relaxed)  # no prices: the plain relaxation
    return lag.proven


@pytest.mark.parametrize(
    ("seed", "fragmented"),
    [(s, False) for s in range(4)] + [(s, True) for s in range(6)],
)
def test_bound_never_exceeds_the_exact_optimum(seed: int, fragmented: bool) -> None:
    instance = parse_instance(_random_clinic(seed, 5, fragmented=fragmented))
    exact = optimize_schedule(
        instance, time_limit_s=20, workers=1, seed=0, strategy="monolithic"
    )
    assert validate_solution(instance, exact) == []
    assert exact.status == "optimal", exact.stats
    assert exact.objective is not None
    bound = _series_apart_bound(instance, len(exact.assignments))
    assert bound <= exact.objective
    assert exact.bound is not None
    assert exact.bound <= exact.objective


@pytest.mark.parametrize(
    ("seed", "fragmented"),
    [(s, False) for s in range(4)] + [(s, True) for s in range(6)],
)
def test_lp_priced_bound_never_exceeds_the_exact_optimum(
    seed: int, fragmented: bool
) -> None:
    """The day-capacity LP's prices, for the count the exact optimum places and
    re-priced from the all-sessions count as the run does at its end, give
    bounds no higher than that optimum, for that count and every lower one."""
    instance = parse_instance(_random_clinic(seed, 6, fragmented=fragmented))
    exact = optimize_schedule(
        instance, time_limit_s=20, workers=1, seed=0, strategy="monolithic"
    )
    assert exact.status == "optimal", exact.stats
    assert exact.objective is not None
    placed = len(exact.assignments)
    prepared = prepare(instance)
    most = sum(len(c) for c in prepared.chains)

    direct = lagrangian(instance, prepared, placed, lowest=0)
    _DayCapacityLP(direct).solve(placed, lambda: False, 100)
    assert direct.first is not None
    assert direct.first <= direct.proven <= exact.objective

    rerun = lagrangian(instance, prepared, most, lowest=0)
    lp = _DayCapacityLP(rerun)
    lp.solve(most, lambda: False, 100)
    lp.solve(placed, lambda: False, 100)
    found = [rerun.bound_for(k) for k in range(placed + 1)]
    bounds = [b for b in found if b is not None]
    assert len(bounds) == len(found)
    assert bounds == sorted(bounds)  # covering more schedules never bounds higher
    assert bounds[-1] == rerun.rebound(placed) <= exact.objective


@pytest.mark.parametrize(
    ("seed", "fragmented"),
    [(s, False) for s in range(3)] + [(s, True) for s in range(3)],
)
def test_path_strategy_bound_never_exceeds_the_exact_optimum(
    seed: int, fragmented: bool
) -> None:
    """The whole path strategy (LP seeded with its schedule's series, re-solved
    for the count placed at the end) reports a bound no higher than the exact
    optimum of the same clinic."""
    instance = parse_instance(_random_clinic(seed, 7, fragmented=fragmented))
    exact = optimize_schedule(
        instance, time_limit_s=20, workers=1, seed=0, strategy="monolithic"
    )
    assert exact.status == "optimal", exact.stats
    assert exact.objective is not None
    paths = optimize_schedule(
        instance, time_limit_s=1, workers=1, seed=seed, strategy="decomposed"
    )
    assert validate_solution(instance, paths) == []
    assert paths.bound is not None
    assert len(paths.assignments) <= len(exact.assignments)
    assert paths.bound <= exact.objective
    assert paths.stats["lp_rounds"] > 0


def test_lp_prices_raise_the_bound_where_targets_pile_up() -> None:
    """Nine series all wanting alice on the same Tuesdays: apart they cost
    nothing; priced, the LP bound sees the day's capacity, still below the
    exact optimum (the test fails if it ever went over)."""
    instance = _piled_on_alices_tuesdays(count=9, sessions=2)
    exact = optimize_schedule(
        instance, time_limit_s=30, workers=1, seed=0, strategy="monolithic"
    )
    assert exact.status == "optimal", exact.stats
    assert exact.objective is not None
    placed = len(exact.assignments)
    lag = lagrangian(instance, prepare(instance), placed)
    _DayCapacityLP(lag).solve(placed, lambda: False, 100)
    assert lag.first is not None
    assert lag.first < lag.proven <= exact.objective


@pytest.mark.parametrize("seed", range(20))
def test_placement_table_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    rows: list[list[float | None]] = [
        [
            None if k and rng.random() < 0.15 else float(rng.randint(0, 9))
            for k in range(rng.randint(1, 4))
        ]
        for _ in range(4)
    ]
    for row in rows:
        row[-1] = float(rng.randint(0, 9))  # the longest prefix is possible
    slack = 4
    best, _ = placement_table(rows, slack)
    tops = [len(r) - 1 for r in rows]
    totals: dict[int, float] = {}
    for drops in itertools.product(*(range(t + 1) for t in tops)):
        picked = [r[t - d] for r, t, d in zip(rows, tops, drops, strict=True)]
        costs = [c for c in picked if c is not None]
        if len(costs) == len(picked):
            total = sum(drops)
            totals[total] = min(totals.get(total, float("inf")), sum(costs))
    for used in range(slack + 1):
        expected = totals.get(used)
        if expected is None:
            assert best[used] >= 1 << 59
        else:
            assert best[used] == expected
        assert placement_bound(rows, sum(tops) - used) == min(best[: used + 1])


def _brute_force(instance: ScheduleInstance) -> float:
    """Cheapest full placement of the one series over every day assignment,
    ignoring shared capacity (what the programme claims to solve)."""
    prepared = prepare(instance)
    (chain,) = prepared.chains
    costs = [relaxed_costs(prepared.calendar, s) for s in chain]
    iv = chain[0].series.interval_days
    best = float("inf")
    for days in itertools.product(*(sorted(c) for c in costs)):
        total, previous = 0, None
        for k, d in enumerate(days):
            target = (
                chain[0].first_target_day
                if previous is None
                else previous + iv.target_days
            )
            if previous is not None and not iv.min_days <= d - previous <= iv.max_days:
                break
            assert target is not None
            total += WEIGHT_DAY_FROM_TARGET * abs(d - target) + costs[k][d][0]
            previous = d
        else:
            best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_programme_is_exact_for_one_series(seed: int) -> None:
    rng = random.Random(seed)
    data = _random_clinic(seed, 1)
    row = data["series"][0]
    row["interval_days"] = {"min": rng.randint(3, 6), "target": 7, "max": 10}
    row["sessions"] = row["sessions"][:1] + [
        {
            "number": k + 2,
            "earliest_on": f"2027-01-{5 + 7 * (k + 1) - rng.randint(0, 3):02d}",
            "target_on": f"2027-01-{5 + 7 * (k + 1):02d}",
            "latest_on": f"2027-01-{5 + 7 * (k + 1) + rng.randint(0, 4):02d}",
        }
        for k in range(2)
    ]
    instance = parse_instance(data)
    prepared = prepare(instance)
    (chain,) = prepared.chains
    paths = chain_paths(chain, [relaxed_costs(prepared.calendar, s) for s in chain])
    expected = _brute_force(instance)
    if expected == float("inf"):
        assert paths[-1] is None
    else:
        assert best_of(paths).cost == expected


@pytest.mark.parametrize("seed", range(3))
def test_path_search_is_valid_bounded_and_repeatable(seed: int) -> None:
    data = _random_clinic(seed, 12)
    instance = parse_instance(data)
    runs = [
        optimize_schedule(
            instance, time_limit_s=1, workers=1, seed=seed, strategy="decomposed"
        )
        for _ in range(2)
    ]
    for solution in runs:
        assert validate_solution(instance, solution) == []
        assert solution.bound is not None
        assert solution.objective is not None
        assert solution.bound <= solution.objective
        assert solution.stats["strategy"] == "decomposed"
    assert dumps_solution(runs[0], instance) == dumps_solution(runs[1], instance)


def test_path_search_beats_greedy_when_targets_pile_up() -> None:
    instance = _piled_on_alices_tuesdays(count=14, sessions=3)
    best = optimize_schedule(
        instance, time_limit_s=2, workers=1, seed=0, strategy="decomposed"
    )
    assert validate_solution(instance, best) == []
    assert best.objective is not None
    assert best.bound is not None
    assert best.bound <= best.objective <= best.stats["greedy_objective"]


def test_placement_bound_lets_the_cheapest_sessions_go() -> None:
    # two series, each cheaper with fewer sessions; one of them may drop one
    rows = [[5.0, 3.0, 10.0], [4.0, 8.0]]
    assert placement_bound(rows, 3) == 10.0 + 8.0
    assert placement_bound(rows, 2) == 3.0 + 8.0
    assert placement_bound(rows, 0) == 3.0 + 4.0


def test_free_runs_hold_only_what_session_sizes_fill() -> None:
    # sessions of 2 and 3 slots: a one-slot hole holds nothing, longer runs fill
    assert _fillable({2, 3}, 6) == [0, 0, 2, 3, 4, 5, 6]
    # only hour-long sessions (4 slots): a 7-slot run still holds one
    assert _fillable({4}, 8) == [0, 0, 0, 0, 4, 4, 4, 4, 8]


def test_holes_only_short_sessions_fit_raise_the_bound() -> None:
    """Alice's Tuesday has a consultation at 09:45: a 45-minute hole holds no
    hour-long session, yet counted in slots it holds one and a half. Three
    hour-long sessions want that Tuesday and a half-hour one the Wednesday.
    The size-class rows see that the hole is for short sessions only: the
    bound rises, and stays below the exact optimum."""
    hours = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)]
    long_ones = [
        series(f"long{i}", n=1, duration_min=60, buffer_min=0, practitioners=["alice"])
        for i in range(3)
    ]
    short = series(
        "short",
        first_on="2027-01-06",
        n=1,
        duration_min=30,
        buffer_min=0,
        practitioners=["alice"],
    )
    instance = parse_instance(
        base(
            practitioners=[{"id": "alice", "hours": hours}],
            booked=[
                {
                    "id": "consultation",
                    "practitioner": "alice",
                    "room": "r2",
                    "start": "2027-01-05T09:45:00+00:00",
                    "end": "2027-01-05T10:00:00+00:00",
                }
            ],
            series=[*long_ones, short],
        )
    )
    exact = optimize_schedule(
        instance, time_limit_s=20, workers=1, seed=0, strategy="monolithic"
    )
    assert exact.status == "optimal", exact.stats
    assert exact.objective is not None
    placed = len(exact.assignments)
    assert placed == 4

    def lp_bound(*, size_classes: bool) -> int:
        lag = lagrangian(instance, prepare(instance), placed)
        if not size_classes:
            lag.cap_q.clear()
        _DayCapacityLP(lag).solve(placed, lambda: False, 100)
        return lag.proven

    with_classes = lp_bound(size_classes=True)
    assert lp_bound(size_classes=False) < with_classes <= exact.objective
