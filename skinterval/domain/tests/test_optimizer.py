"""The calendar optimizer on tiny instances: one worker, fixed seed, short limits.

Every solution, optimizer or greedy, goes through the independent validator; the
assertions are about constraints and objective bounds, never one particular optimum.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from skinterval.domain.contracts import load_schema
from skinterval.domain.optimizer import optimize_schedule, schedule
from skinterval.domain.optimizer_model import (
    WEIGHT_DAY_FROM_TARGET,
    WEIGHT_PRACTITIONER_CHANGE,
    InvalidInstance,
    ScheduleInstance,
    ScheduleSolution,
    dumps_solution,
    parse_instance,
    solution_as_json,
    solution_cost,
)
from skinterval.domain.schedule_validator import validate_solution

WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def base(**changes: Any) -> dict[str, Any]:
    """A two-practitioner, two-room clinic over four weeks from Monday 2027-01-04."""
    data: dict[str, Any] = {
        "timezone": "Europe/London",
        "start_on": "2027-01-04",
        "end_on": "2027-01-31",
        "grid_min": 15,
        "practitioners": [
            {"id": "alice", "hours": WEEKDAYS},
            {"id": "bob", "hours": WEEKDAYS},
        ],
        "rooms": [{"id": "r1"}, {"id": "r2"}],
        "devices": [{"id": "pen"}],
        "booked": [],
        "series": [series("s1")],
    }
    data.update(changes)
    return data


def series(sid: str, *, first_on: str = "2027-01-05", n: int = 3, **changes: Any):
    """A weekly series (6-8 days apart) whose first target is `first_on`."""
    first = datetime.fromisoformat(first_on).date()
    sessions = []
    for k in range(n):
        target = first + timedelta(days=7 * k)
        sessions.append(
            {
                "number": k + 1,
                "earliest_on": (target - timedelta(days=1 if k else 0)).isoformat(),
                "target_on": target.isoformat(),
                "latest_on": (target + timedelta(days=3)).isoformat(),
            }
        )
    row: dict[str, Any] = {
        "id": sid,
        "duration_min": 60,
        "buffer_min": 15,
        "needs_device": False,
        "practitioners": ["alice", "bob"],
        "preferred_practitioner": "alice",
        "interval_days": {"min": 6, "target": 7, "max": 8},
        "sessions": sessions,
    }
    row.update(changes)
    return row


def solve(
    data: dict[str, Any], method: str = "cp-sat", **kwargs: Any
) -> tuple[ScheduleInstance, ScheduleSolution]:
    instance = parse_instance(data)
    if method == "cp-sat":
        solution = optimize_schedule(instance, time_limit_s=5, workers=1, **kwargs)
    else:
        solution = schedule(instance, method="greedy")
    assert validate_solution(instance, solution) == []
    document = solution_as_json(solution, instance)
    Draft202012Validator(load_schema("schedule-solution.schema.json")).validate(
        document
    )
    return instance, solution


def local(a_start: datetime, zone: str = "Europe/London") -> datetime:
    return a_start.astimezone(ZoneInfo(zone))


# ------------------------------------------------------------------ objective


@pytest.mark.parametrize("strategy", ["monolithic", "decomposed"])
def test_busy_clinic_is_valid_bounded_and_no_worse_than_greedy(strategy: str) -> None:
    rows = [
        series(f"s{i}", first_on=f"2027-01-0{5 + i % 2}", needs_device=i % 2 == 0)
        for i in range(8)
    ]
    data = base(series=rows)
    instance, greedy = solve(data, "greedy")
    _, best = solve(data, strategy=strategy)
    assert len(best.assignments) >= len(greedy.assignments)
    if len(best.assignments) == len(greedy.assignments):
        assert best.objective is not None
        assert greedy.objective is not None
        assert best.objective <= greedy.objective
    assert best.bound is not None
    assert best.objective is not None
    assert best.bound <= best.objective
    assert best.gap == pytest.approx(
        (best.objective - best.bound) / max(1, abs(best.objective))
    )
    assert best.objective == solution_cost(instance, best.assignments).total


def test_free_clinic_is_solved_to_optimality_on_target() -> None:
    _, solution = solve(base())
    assert solution.status == "optimal"
    assert solution.objective == 0
    assert solution.gap == 0
    assert [a.start_at.date().isoformat() for a in solution.assignments] == [
        "2027-01-05",
        "2027-01-12",
        "2027-01-19",
    ]
    assert {a.practitioner for a in solution.assignments} == {"alice"}


def test_same_seed_gives_identical_output() -> None:
    data = base(series=[series(f"s{i}", first_on="2027-01-05") for i in range(6)])
    instance = parse_instance(data)
    runs = [
        dumps_solution(
            optimize_schedule(instance, time_limit_s=2, workers=1, seed=3), instance
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


# ------------------------------------------------------------------ constraints


def test_unplaceable_session_takes_the_rest_of_its_series_along() -> None:
    data = base()
    # alice and bob are both away the whole week of session 2
    for p in data["practitioners"]:
        p["off"] = [{"start_on": "2027-01-10", "end_on": "2027-01-17"}]
    _, solution = solve(data)
    assert [a.number for a in solution.assignments] == [1]
    reasons = {u.number: u.reason for u in solution.unscheduled}
    assert set(reasons) == {2, 3}
    assert "previous session 2" in reasons[3]


def test_session_outside_the_horizon_is_unscheduled_with_reason() -> None:
    _, solution = solve(base(end_on="2027-01-14"))
    assert [a.number for a in solution.assignments] == [1, 2]
    (late,) = solution.unscheduled
    assert late.number == 3
    assert "outside the horizon" in late.reason


def test_booked_appointments_keep_their_time() -> None:
    only_monday = [{"weekday": 1, "start": "09:00", "end": "11:15"}]
    data = base(
        practitioners=[{"id": "alice", "hours": only_monday}],
        rooms=[{"id": "r1"}],
        booked=[
            {
                "id": "b1",
                "practitioner": "alice",
                "room": "r1",
                "start": "2027-01-05T09:00:00+00:00",
                "end": "2027-01-05T10:00:00+00:00",
            }
        ],
        series=[series("s1", n=1, practitioners=["alice"])],
    )
    _, solution = solve(data)
    (a,) = solution.assignments
    assert local(a.start_at).hour == 10  # the only free hour that day


def test_one_device_is_never_used_twice_at_once() -> None:
    mornings = [{"weekday": 1, "start": "09:00", "end": "10:15"}]
    data = base(
        practitioners=[
            {"id": "alice", "hours": mornings},
            {"id": "bob", "hours": mornings},
        ],
        series=[
            series(f"s{i}", n=1, needs_device=True, preferred_practitioner=None)
            for i in range(2)
        ],
    )
    data["series"][0]["sessions"][0]["latest_on"] = "2027-01-05"
    data["series"][1]["sessions"][0]["latest_on"] = "2027-01-05"
    _, solution = solve(data)
    # both fit only on one Tuesday morning and share one pen: one waits out
    assert len(solution.assignments) == 1
    assert solution.assignments[0].device == "pen"
    assert len(solution.unscheduled) == 1


@pytest.mark.parametrize("strategy", ["monolithic", "decomposed"])
def test_off_day_of_the_preferred_practitioner_keeps_the_day(strategy: str) -> None:
    # Clinic policy (docs/decisions/0003): a day from the target costs more than
    # a change of practitioner, so the session stays on its day with bob.
    data = base()
    data["practitioners"][0]["off"] = [
        {"start_on": "2027-01-05", "end_on": "2027-01-05"}
    ]
    _, solution = solve(data, strategy=strategy)
    first = solution.assignments[0]
    assert (first.practitioner, local(first.start_at).day) == ("bob", 5)
    assert [a.practitioner for a in solution.assignments[1:]] == ["alice", "alice"]
    assert solution.objective == WEIGHT_PRACTITIONER_CHANGE
    assert solution.status == "optimal"


def test_current_booking_is_kept_rather_than_moved_to_the_target() -> None:
    # Moving a booked patient (6) costs more than two days of drift (2 x 2).
    data = base(series=[series("s1", n=1)])
    data["series"][0]["sessions"][0]["current"] = {
        "practitioner": "alice",
        "room": "r1",
        "start": "2027-01-07T10:00:00+00:00",
    }
    _, solution = solve(data)
    (a,) = solution.assignments
    assert a.start_at == datetime.fromisoformat("2027-01-07T10:00:00+00:00")
    assert solution.objective == 2 * WEIGHT_DAY_FROM_TARGET
    assert solution.stats["moves"] == 0


def test_preferred_practitioner_is_chosen_when_free() -> None:
    data = base(series=[series("s1", preferred_practitioner="bob")])
    _, solution = solve(data)
    assert {a.practitioner for a in solution.assignments} == {"bob"}


def test_current_booking_stays_when_free_and_moves_when_taken() -> None:
    data = base(series=[series("s1", n=1)])
    data["series"][0]["sessions"][0]["current"] = {
        "practitioner": "alice",
        "room": "r2",
        "start": "2027-01-05T14:00:00+00:00",
    }
    _, kept = solve(data)
    assert kept.assignments[0].room == "r2"
    assert kept.assignments[0].start_at == datetime.fromisoformat(
        "2027-01-05T14:00:00+00:00"
    )
    assert kept.stats["moves"] == 0
    taken = copy.deepcopy(data)
    taken["booked"] = [
        {
            "id": "b1",
            "practitioner": "bob",
            "room": "r2",
            "start": "2027-01-05T14:30:00+00:00",
            "end": "2027-01-05T15:00:00+00:00",
        }
    ]
    _, moved = solve(taken)
    assert moved.stats["moves"] == 1


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        ("Europe/London", "2027-03-28", "2027-10-31"),
        ("America/New_York", "2027-03-14", "2027-11-07"),
    ],
)
def test_local_nine_oclock_survives_both_dst_changes(
    zone: str, spring: str, autumn: str
) -> None:
    nine = [{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)]
    rows = []
    for sid, change in (("spring", spring), ("autumn", autumn)):
        on = datetime.fromisoformat(change).date() - timedelta(days=1)
        rows.append(
            series(sid, first_on=on.isoformat(), n=2, practitioners=["alice"])
            | {"interval_days": {"min": 2, "target": 2, "max": 2}}
        )
        rows[-1]["sessions"][1]["target_on"] = (on + timedelta(days=2)).isoformat()
        rows[-1]["sessions"][1]["earliest_on"] = (on + timedelta(days=2)).isoformat()
    data = base(
        timezone=zone,
        start_on="2027-03-01",
        end_on="2027-11-30",
        practitioners=[{"id": "alice", "hours": nine}],
        rooms=[{"id": "r1"}],
        series=rows,
    )
    for method in ("cp-sat", "greedy"):
        _, solution = solve(data, method)
        assert len(solution.assignments) == 4
        clocks = {
            local(a.start_at, zone).strftime("%H:%M") for a in solution.assignments
        }
        assert clocks == {"09:00"}
        offsets = {a.start_at.utcoffset() for a in solution.assignments}
        assert len(offsets) == 2  # the same wall clock, two different UTC offsets


def test_sessions_never_touch_a_dst_gap_or_fold() -> None:
    night = [{"weekday": 6, "start": "00:00", "end": "04:00"}]
    data = base(
        start_on="2027-03-28",
        end_on="2027-03-28",
        practitioners=[{"id": "alice", "hours": night}],
        rooms=[{"id": "r1"}],
        series=[
            series(f"s{i}", first_on="2027-03-28", n=1, practitioners=["alice"])
            for i in range(3)
        ],
    )
    _, solution = solve(data)
    zone = ZoneInfo("Europe/London")
    for a in solution.assignments:
        start = a.start_at.astimezone(zone)
        end = (a.end_at + timedelta(minutes=15)).astimezone(zone)
        # the clocks jump from 01:00 to 02:00: nothing may span it
        assert end.hour < 1 or (end.hour == 1 and end.minute == 0) or start.hour >= 2


# ------------------------------------------------------------------ validator


def test_validator_catches_broken_solutions() -> None:
    instance, good = solve(base(series=[series("s1"), series("s2")]))
    a, b = good.assignments[0], good.assignments[3]
    clash = dataclasses.replace(b, start_at=a.start_at, end_at=a.end_at, room=a.room)
    late = dataclasses.replace(
        a,
        start_at=a.start_at + timedelta(hours=10),
        end_at=a.end_at + timedelta(hours=10),
    )
    jumped = dataclasses.replace(
        good.assignments[1],
        start_at=good.assignments[1].start_at + timedelta(days=3),
        end_at=good.assignments[1].end_at + timedelta(days=3),
    )
    for broken, expected in (
        ((*good.assignments[:3], clash, *good.assignments[4:]), "overlaps"),
        ((late, *good.assignments[1:]), "working hours"),
        ((good.assignments[0], jumped, *good.assignments[2:]), "days after"),
        (good.assignments[1:], "placed after unscheduled"),
    ):
        bad = dataclasses.replace(good, assignments=tuple(broken))
        assert any(expected in p for p in validate_solution(instance, bad)), expected


# ------------------------------------------------------------------ command


def run_command(
    *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skinterval.cli", "optimize", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_prints_a_valid_solution_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(base()))
    done = run_command(str(path), "--time-limit", "2", "--seed", "1")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    Draft202012Validator(load_schema("schedule-solution.schema.json")).validate(
        document
    )
    assert document["status"] == "optimal"
    assert "objective" in done.stderr
    assert "bound" in done.stderr
    greedy = run_command(str(path), "--method", "greedy")
    assert greedy.returncode == 0
    assert json.loads(greedy.stdout)["stats"]["method"] == "greedy"


def _broken(change: Any) -> str:
    data = base()
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "(root): not valid JSON"),
        (_broken(lambda d: d.pop("rooms")), "rooms: required field missing"),
        (
            _broken(lambda d: d["series"][0].update(colour="red")),
            "series[0].colour: unknown field",
        ),
        (
            _broken(lambda d: d.update(timezone="Mars/Olympus")),
            "timezone: 'Mars/Olympus' is not a known IANA time zone",
        ),
        (
            _broken(lambda d: d["series"][0]["practitioners"].append("zed")),
            "series[0].practitioners[2]: unknown practitioner 'zed'",
        ),
        (
            _broken(
                lambda d: d["series"][0]["sessions"][1].update(target_on="2027-02-30")
            ),
            "series[0].sessions[1].target_on: '2027-02-30' is not a real date",
        ),
        (
            _broken(
                lambda d: d["series"][0].update(
                    interval_days={"min": 9, "target": 7, "max": 8}
                )
            ),
            "series[0].interval_days: needs min <= target <= max",
        ),
        (
            _broken(lambda d: d.update(grid_min=1)),
            "grid_min: 1 is below the minimum 5",
        ),
    ],
)
def test_invalid_instance_exits_2_naming_the_path(text: str, expected: str) -> None:
    done = run_command("-", stdin=text)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_invalid_arguments_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = run_command(str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    negative = run_command("-", "--time-limit", "0", stdin=json.dumps(base()))
    assert negative.returncode == 2
    assert "--time-limit" in negative.stderr
    for done in (missing, negative):
        assert "Traceback" not in done.stderr


def test_parse_instance_lists_every_problem() -> None:
    data = base()
    data["series"][0]["practitioners"] = ["zed"]
    data["series"][0]["preferred_practitioner"] = "alice"
    with pytest.raises(InvalidInstance) as caught:
        parse_instance(data)
    assert len(caught.value.problems) == 2
