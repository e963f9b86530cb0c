"""Input and output of the calendar optimizer (contract: shared/contracts §4).

Frozen dataclasses so the Django side and the `skinterval optimize` command build
and read the same values; `parse_instance` turns decoded JSON into them, reporting
every problem with its JSON path (`series[3].sessions[0].latest_on: ...`) so the
command can exit 2 without a traceback. The cost function lives here too, so the
optimizer, the greedy baseline, the validator and the tests price a solution the
same way. No ortools here: only `optimizer.py` imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator

from skinterval.domain.contracts import format_path, load_schema
from skinterval.domain.errors import InvalidInput

# Objective weights, in "days away from the target day" (docs/decisions/0003).
WEIGHT_DAY_FROM_TARGET = 2
WEIGHT_MOVE = 6
WEIGHT_PRACTITIONER_CHANGE = 1

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


class InvalidInstance(InvalidInput):
    """A schedule instance that breaks the schema or contradicts itself."""


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class WorkingHours:
    """One working interval on a weekday (0 = Monday), local clock minutes."""

    weekday: int
    start_min: int
    end_min: int


@dataclass(frozen=True)
class DayOff:
    """Whole local days off, both ends included."""

    start_on: date
    end_on: date


@dataclass(frozen=True)
class Practitioner:
    id: str
    hours: tuple[WorkingHours, ...]
    off: tuple[DayOff, ...] = ()


@dataclass(frozen=True)
class Room:
    """`hours` None means open whenever a practitioner works."""

    id: str
    hours: tuple[WorkingHours, ...] | None = None


@dataclass(frozen=True)
class Device:
    id: str


@dataclass(frozen=True)
class BookedAppointment:
    """An appointment that stays where it is and keeps its resources busy."""

    id: str
    practitioner: str
    room: str
    device: str | None
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class IntervalDays:
    min_days: int
    target_days: int
    max_days: int


@dataclass(frozen=True)
class CurrentBooking:
    """Where a pending session is booked today; moving it costs."""

    practitioner: str
    room: str
    device: str | None
    start_at: datetime


@dataclass(frozen=True)
class PendingSession:
    number: int
    earliest_on: date
    target_on: date
    latest_on: date
    current: CurrentBooking | None = None


@dataclass(frozen=True)
class Series:
    id: str
    duration_min: int
    practitioners: tuple[str, ...]
    interval_days: IntervalDays
    sessions: tuple[PendingSession, ...]
    buffer_min: int = 0
    needs_device: bool = False
    preferred_practitioner: str | None = None
    last_done_on: date | None = None


@dataclass(frozen=True)
class ScheduleInstance:
    """A clinic's resources over [start_on, end_on] and the sessions to place."""

    timezone: str
    start_on: date
    end_on: date
    grid_min: int
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    series: tuple[Series, ...]
    devices: tuple[Device, ...] = ()
    booked: tuple[BookedAppointment, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Assignment:
    series_id: str
    number: int
    practitioner: str
    room: str
    device: str | None
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class Unscheduled:
    series_id: str
    number: int
    reason: str


@dataclass(frozen=True)
class Progress:
    """One progress report: wall seconds since the start, best objective, bound."""

    elapsed_s: float
    objective: float | None
    bound: float | None
    phase: str


@dataclass(frozen=True)
class ScheduleSolution:
    """The optimizer's answer. `stats` is deterministic and goes into the JSON;
    the wall-clock timings stay out of it so equal seeds give equal output."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    assignments: tuple[Assignment, ...]
    unscheduled: tuple[Unscheduled, ...]
    stats: Mapping[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    first_feasible_s: float | None = None


@dataclass(frozen=True)
class Cost:
    """The minimised quantity, split into its parts (weights above)."""

    days_from_target: int
    moves: int
    practitioner_changes: int

    @property
    def total(self) -> int:
        return (
            WEIGHT_DAY_FROM_TARGET * self.days_from_target
            + WEIGHT_MOVE * self.moves
            + WEIGHT_PRACTITIONER_CHANGE * self.practitioner_changes
        )


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(objective − bound) / max(1, |objective|), as the contract defines it."""
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(1.0, abs(objective))


def first_target_on(series: Series) -> date:
    """Target day of the first pending session (contract §4)."""
    if series.last_done_on is not None:
        return series.last_done_on + timedelta(days=series.interval_days.target_days)
    return series.sessions[0].target_on


def solution_cost(
    instance: ScheduleInstance, assignments: Iterable[Assignment]
) -> Cost:
    """Price placed sessions: distance of each local date from its chained target,
    moves of sessions booked today (unplaced ones count as moved), and sessions
    given to someone other than the preferred practitioner."""
    zone = instance.zone
    placed = {(a.series_id, a.number): a for a in assignments}
    days = moves = changes = 0
    for series in instance.series:
        target = first_target_on(series)
        for session in series.sessions:
            a = placed.get((series.id, session.number))
            if a is None:
                moves += session.current is not None
                continue
            on = a.start_at.astimezone(zone).date()
            days += abs((on - target).days)
            target = on + timedelta(days=series.interval_days.target_days)
            cur = session.current
            if cur is not None and (
                cur.practitioner != a.practitioner
                or cur.room != a.room
                or cur.start_at != a.start_at
            ):
                moves += 1
            preferred = series.preferred_practitioner
            if preferred is not None and a.practitioner != preferred:
                changes += 1
    return Cost(days, moves, changes)


def on_target_count(instance: ScheduleInstance, solution: ScheduleSolution) -> int:
    """Sessions placed exactly on their chained target day (benchmark figure)."""
    zone = instance.zone
    placed = {(a.series_id, a.number): a for a in solution.assignments}
    count = 0
    for series in instance.series:
        target = first_target_on(series)
        for session in series.sessions:
            a = placed.get((series.id, session.number))
            if a is None:
                break
            on = a.start_at.astimezone(zone).date()
            count += on == target
            target = on + timedelta(days=series.interval_days.target_days)
    return count


# --------------------------------------------------------------------------- JSON


def _instant(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat()


def solution_as_json(
    solution: ScheduleSolution, instance: ScheduleInstance
) -> dict[str, Any]:
    """The contract's JSON object; instants carry the clinic's local offset."""
    zone = instance.zone
    return {
        "status": solution.status,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": None if solution.gap is None else round(solution.gap, 6),
        "assignments": [
            {
                "series": a.series_id,
                "number": a.number,
                "practitioner": a.practitioner,
                "room": a.room,
                "device": a.device,
                "start": _instant(a.start_at, zone),
                "end": _instant(a.end_at, zone),
            }
            for a in solution.assignments
        ],
        "unscheduled": [
            {"series": u.series_id, "number": u.number, "reason": u.reason}
            for u in solution.unscheduled
        ],
        "stats": dict(solution.stats),
    }


def dumps_solution(solution: ScheduleSolution, instance: ScheduleInstance) -> str:
    return json.dumps(solution_as_json(solution, instance), indent=2, sort_keys=True)


# --------------------------------------------------------------------------- parsing


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("schedule-instance.schema.json"))


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_messages(error: Any) -> Iterator[str]:
    path = list(error.absolute_path)
    where = format_path(path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                yield f"{format_path([*path, name])}: required field missing"
    elif kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for name in instance:
            if name not in allowed:
                yield (
                    f"{format_path([*path, name])}: unknown field "
                    f"(expected one of {', '.join(allowed)})"
                )
    elif kind == "pattern":
        yield f"{where}: {_show(instance)} does not match {value}"
    elif kind == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        yield f"{where}: expected {expected}, got {_show(instance)}"
    elif kind == "minimum":
        yield f"{where}: {_show(instance)} is below the minimum {value}"
    elif kind == "maximum":
        yield f"{where}: {_show(instance)} is above the maximum {value}"
    elif kind == "minItems":
        yield f"{where}: needs at least {value} item(s)"
    else:
        yield f"{where}: {error.message}"


def parse_instance(data: object) -> ScheduleInstance:
    """Validate decoded JSON against the schema and for consistency (known ids,
    real dates and instants, ordered windows); raise `InvalidInstance` listing
    every problem, or return the instance."""
    problems: set[str] = set()
    for error in _validator().iter_errors(data):
        problems.update(_schema_messages(error))
    if problems:
        raise InvalidInstance(sorted(problems))
    assert isinstance(data, dict)  # noqa: S101 - guaranteed by the schema
    parser = _Parser()
    instance = parser.instance(data)
    if parser.problems or instance is None:
        raise InvalidInstance(parser.problems)
    return instance


class _Parser:
    """Builds the dataclasses, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: list[str | int], message: str) -> None:
        self.problems.append(f"{format_path(path)}: {message}")

    def date(self, value: str, path: list[str | int]) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(path, f"{value!r} is not a real date")
            return date(2000, 1, 1)

    def instant(self, value: str, path: list[str | int]) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(path, f"{value!r} is not an ISO 8601 instant")
            return datetime.fromisoformat("2000-01-01T00:00:00+00:00")
        if parsed.tzinfo is None:
            self.fail(path, f"{value!r} has no UTC offset")
            return parsed.replace(tzinfo=ZoneInfo("UTC"))
        return parsed

    def clock(self, value: str) -> int:
        hours, minutes = value.split(":")
        return int(hours) * 60 + int(minutes)

    def hours(
        self, rows: list[dict[str, Any]], path: list[str | int]
    ) -> tuple[WorkingHours, ...]:
        out = []
        for i, row in enumerate(rows):
            start, end = self.clock(row["start"]), self.clock(row["end"])
            if end <= start:
                self.fail(
                    [*path, i, "end"], f"{row['end']} is not after {row['start']}"
                )
            out.append(WorkingHours(row["weekday"], start, end))
        return tuple(out)

    def unique(self, items: list[dict[str, Any]], path: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item["id"] in seen:
                self.fail([path, i, "id"], f"duplicate id {item['id']!r}")
            seen.add(item["id"])
        return seen

    def known(
        self, value: str | None, ids: set[str], path: list[str | int], kind: str
    ) -> None:
        if value is not None and value not in ids:
            self.fail(path, f"unknown {kind} {value!r}")

    def instance(self, data: dict[str, Any]) -> ScheduleInstance | None:
        try:
            zone_name = data["timezone"]
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.fail(["timezone"], f"{zone_name!r} is not a known IANA time zone")
        start_on = self.date(data["start_on"], ["start_on"])
        end_on = self.date(data["end_on"], ["end_on"])
        if end_on < start_on:
            self.fail(["end_on"], f"{end_on} is before start_on {start_on}")
        pids = self.unique(data["practitioners"], "practitioners")
        rids = self.unique(data["rooms"], "rooms")
        dids = self.unique(data.get("devices", []), "devices")
        practitioners = []
        for i, p in enumerate(data["practitioners"]):
            offs = []
            for j, o in enumerate(p.get("off", [])):
                path: list[str | int] = ["practitioners", i, "off", j]
                off = DayOff(
                    self.date(o["start_on"], [*path, "start_on"]),
                    self.date(o["end_on"], [*path, "end_on"]),
                )
                if off.end_on < off.start_on:
                    self.fail([*path, "end_on"], "is before start_on")
                offs.append(off)
            hours = self.hours(p["hours"], ["practitioners", i, "hours"])
            practitioners.append(Practitioner(p["id"], hours, tuple(offs)))
        rooms = [
            Room(
                r["id"],
                None
                if "hours" not in r
                else self.hours(r["hours"], ["rooms", i, "hours"]),
            )
            for i, r in enumerate(data["rooms"])
        ]
        booked = self.booked(data.get("booked", []), pids, rids, dids)
        series = self.all_series(data["series"], pids, rids, dids)
        if self.problems:
            return None
        return ScheduleInstance(
            timezone=zone_name,
            start_on=start_on,
            end_on=end_on,
            grid_min=data["grid_min"],
            practitioners=tuple(practitioners),
            rooms=tuple(rooms),
            devices=tuple(Device(d["id"]) for d in data.get("devices", [])),
            booked=booked,
            series=series,
        )

    def booked(
        self,
        rows: list[dict[str, Any]],
        pids: set[str],
        rids: set[str],
        dids: set[str],
    ) -> tuple[BookedAppointment, ...]:
        self.unique(rows, "booked")
        out = []
        for i, b in enumerate(rows):
            path: list[str | int] = ["booked", i]
            self.known(b["practitioner"], pids, [*path, "practitioner"], "practitioner")
            self.known(b["room"], rids, [*path, "room"], "room")
            self.known(b.get("device"), dids, [*path, "device"], "device")
            start = self.instant(b["start"], [*path, "start"])
            end = self.instant(b["end"], [*path, "end"])
            if end <= start:
                self.fail([*path, "end"], f"{b['end']} is not after start")
            out.append(
                BookedAppointment(
                    b["id"], b["practitioner"], b["room"], b.get("device"), start, end
                )
            )
        return tuple(out)

    def all_series(
        self,
        rows: list[dict[str, Any]],
        pids: set[str],
        rids: set[str],
        dids: set[str],
    ) -> tuple[Series, ...]:
        self.unique(rows, "series")
        out = []
        for i, s in enumerate(rows):
            path: list[str | int] = ["series", i]
            for j, pid in enumerate(s["practitioners"]):
                self.known(pid, pids, [*path, "practitioners", j], "practitioner")
            preferred = s.get("preferred_practitioner")
            if preferred is not None and preferred not in s["practitioners"]:
                self.fail(
                    [*path, "preferred_practitioner"],
                    f"{preferred!r} is not one of the series' practitioners",
                )
            iv = s["interval_days"]
            if not iv["min"] <= iv["target"] <= iv["max"]:
                self.fail(
                    [*path, "interval_days"],
                    f"needs min <= target <= max, got {iv['min']}, "
                    f"{iv['target']}, {iv['max']}",
                )
            last_done_on = None
            if "last_done_on" in s:
                last_done_on = self.date(s["last_done_on"], [*path, "last_done_on"])
            sessions = []
            previous = 0
            for j, row in enumerate(s["sessions"]):
                sessions.append(
                    self.session(row, [*path, "sessions", j], s, pids, rids, dids)
                )
                if row["number"] <= previous:
                    self.fail(
                        [*path, "sessions", j, "number"],
                        f"{row['number']} does not follow {previous}",
                    )
                previous = row["number"]
            out.append(
                Series(
                    id=s["id"],
                    duration_min=s["duration_min"],
                    practitioners=tuple(s["practitioners"]),
                    interval_days=IntervalDays(iv["min"], iv["target"], iv["max"]),
                    sessions=tuple(sessions),
                    buffer_min=s.get("buffer_min", 0),
                    needs_device=s.get("needs_device", False),
                    preferred_practitioner=preferred,
                    last_done_on=last_done_on,
                )
            )
        return tuple(out)

    def session(
        self,
        row: dict[str, Any],
        path: list[str | int],
        series: dict[str, Any],
        pids: set[str],
        rids: set[str],
        dids: set[str],
    ) -> PendingSession:
        earliest = self.date(row["earliest_on"], [*path, "earliest_on"])
        target = self.date(row["target_on"], [*path, "target_on"])
        latest = self.date(row["latest_on"], [*path, "latest_on"])
        if not earliest <= target <= latest:
            self.fail(
                [*path, "target_on"],
                f"needs earliest_on <= target_on <= latest_on, got "
                f"{row['earliest_on']}, {row['target_on']}, {row['latest_on']}",
            )
        current = None
        if "current" in row:
            c = row["current"]
            cpath = [*path, "current"]
            if c["practitioner"] not in series["practitioners"]:
                self.fail(
                    [*cpath, "practitioner"],
                    f"{c['practitioner']!r} is not one of the series' practitioners",
                )
            self.known(c["room"], rids, [*cpath, "room"], "room")
            self.known(c.get("device"), dids, [*cpath, "device"], "device")
            current = CurrentBooking(
                c["practitioner"],
                c["room"],
                c.get("device"),
                self.instant(c["start"], [*cpath, "start"]),
            )
        return PendingSession(row["number"], earliest, target, latest, current)
