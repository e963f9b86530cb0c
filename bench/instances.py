"""Seeded generator of schedule instances for the optimizer benchmarks.

`clinic_instance()` returns the JSON object of a schedule instance (the contract's
`schedule-instance.schema.json`), the same bytes for the same arguments. The default
clinic is the one the issue names: 600 patients with 3-6 remaining sessions each,
12 practitioners, 8 rooms, 16 weeks in Europe/London (across the spring DST change).

What makes it a scheduling problem rather than a formality:
- most patients had their last session on a Tuesday or Thursday (the clinic used to
  run needling days), so their 4-week targets pile up on those weekdays;
- two practitioners take two weeks' leave after the calendar was first filled, so
  the patients booked with them (`current` bookings) must move;
- 1,500 consultations and reviews are already `booked` and stay where they are.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

START_ON = date(2027, 3, 1)  # a Monday; the London spring change is 2027-03-28

HOUR_PATTERNS: list[list[tuple[int, str, str]]] = [
    [(d, "09:00", "17:30") for d in range(5)],
    [(d, "08:30", "16:30") for d in range(4)],
    [(d, "10:00", "18:00") for d in range(1, 5)] + [(5, "09:00", "13:00")],
    [(d, s, e) for d in range(5) for s, e in (("09:00", "13:00"), ("14:00", "18:00"))],
]


# The busy clinic (`busy=True`): needling is part of each practitioner's week,
# two full days and a half day (20 h), so about six of the twelve work at any
# time on weekdays; three treatment rooms open whenever someone works, three
# follow the weekday timetable and two small rooms lend a few half days.
BUSY_PATTERNS: list[list[tuple[int, str, str]]] = [
    [(1, "09:00", "17:00"), (3, "09:00", "17:00"), (0, "09:00", "13:00")],
    [(1, "09:00", "17:00"), (2, "09:00", "17:00"), (4, "09:00", "13:00")],
    [(2, "09:30", "17:30"), (3, "09:30", "17:30"), (4, "13:30", "17:30")],
    [(d, s, e) for d in (0, 4) for s, e in (("09:00", "13:00"), ("13:30", "17:30"))]
    + [(5, "09:00", "13:00")],
]
BUSY_ROOM_HOURS: list[list[tuple[int, str, str]] | None] = [
    None,
    None,
    None,
    [(0, "09:00", "13:00")] + [(d, "09:00", "17:30") for d in range(1, 5)],
    [(0, "09:00", "13:00")] + [(d, "09:00", "17:30") for d in range(1, 5)],
    [(0, "09:00", "13:00")] + [(d, "09:00", "17:30") for d in range(1, 5)],
    [(3, "13:00", "17:30")],
    [(2, "09:00", "13:00")],
]
BUSY_BOOKED = 1650


def _hours(rows: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    return [{"weekday": d, "start": s, "end": e} for d, s, e in rows]


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def clinic_instance(
    *,
    patients: int = 600,
    practitioners: int = 12,
    rooms: int = 8,
    devices: int = 5,
    weeks: int = 16,
    booked: int | None = None,
    seed: int = 7,
    busy: bool = True,
) -> dict[str, Any]:
    """The benchmark clinic; `busy=False` is the earlier, half-empty one (full-time
    staff, 1,500 consultations), kept byte for byte so runs can be compared."""
    rng = random.Random(seed)
    if booked is None:
        booked = BUSY_BOOKED if busy else 1500
    end_on = START_ON + timedelta(days=7 * weeks - 1)
    staff = []
    for i in range(practitioners):
        # busy: each team of three (staff[t::4]) mixes three different patterns
        pattern = BUSY_PATTERNS[(i % 4 + i // 4) % 4] if busy else HOUR_PATTERNS[i % 4]
        staff.append({"id": f"p{i + 1:02d}", "hours": _hours(pattern), "off": []})
    room_rows: list[dict[str, Any]] = []
    for i in range(rooms):
        row: dict[str, Any] = {"id": f"room{i + 1}"}
        if busy:
            timetable = BUSY_ROOM_HOURS[i % len(BUSY_ROOM_HOURS)]
            if timetable is not None:
                row["hours"] = _hours(timetable)
        elif i >= rooms - 2:  # two smaller rooms keep office hours only
            row["hours"] = _hours([(d, "09:00", "17:00") for d in range(5)])
        room_rows.append(row)
    device_rows = [{"id": f"pen{i + 1}"} for i in range(devices)]

    teams = [staff[i::4] for i in range(4)]  # 4 teams of 3, each mixing patterns
    series_rows = []
    for n in range(patients):
        team = [p["id"] for p in teams[n % 4]]
        preferred = team[0] if rng.random() < 0.5 else rng.choice(team)
        mn, tg, mx = rng.choice([(21, 28, 42), (21, 28, 42), (28, 35, 56)])
        remaining = rng.randint(3, 6)
        row = {
            "id": f"patient{n + 1:03d}",
            "duration_min": rng.choice([30, 45, 45, 60, 60, 60]),
            "buffer_min": rng.choice([0, 10, 15, 15]),
            "needs_device": rng.random() < 0.8,
            "practitioners": team,
            "preferred_practitioner": preferred,
            "interval_days": {"min": mn, "target": tg, "max": mx},
        }
        if rng.random() < 0.7:
            # last session some weeks ago, mostly on a Tuesday or Thursday
            weekday = rng.choice([1, 1, 3, 3, 0, 2, 4])
            back = rng.randint(1, tg - 1)
            last = START_ON - timedelta(days=back)
            last -= timedelta(days=(last.weekday() - weekday) % 7)
            row["last_done_on"] = last.isoformat()
            first_number = rng.randint(2, 3)
            target = last + timedelta(days=tg)
            earliest, latest = last + timedelta(days=mn), last + timedelta(days=mx)
        else:
            first_number = 1
            target = START_ON + timedelta(days=rng.randint(0, 27))
            earliest, latest = target - timedelta(days=3), target + timedelta(days=14)
        sessions = []
        for k in range(remaining):
            sessions.append(
                {
                    "number": first_number + k,
                    "earliest_on": earliest.isoformat(),
                    "target_on": target.isoformat(),
                    "latest_on": latest.isoformat(),
                }
            )
            earliest = target + timedelta(days=mn)
            latest = target + timedelta(days=mx)
            target = target + timedelta(days=tg)
        row["sessions"] = sessions
        series_rows.append(row)

    booked_rows = _booked(rng, staff, room_rows, device_rows, weeks, booked, busy)
    return {
        "timezone": "Europe/London",
        "start_on": START_ON.isoformat(),
        "end_on": end_on.isoformat(),
        "grid_min": 15,
        "practitioners": staff,
        "rooms": room_rows,
        "devices": device_rows,
        "booked": booked_rows,
        "series": series_rows,
    }


def _booked(
    rng: random.Random,
    staff: list[dict[str, Any]],
    rooms: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    weeks: int,
    count: int,
    busy: bool,
) -> list[dict[str, Any]]:
    """Non-overlapping 30-minute consultations inside the practitioners' hours;
    local clock times, written with the offset London has on that day. In the
    busy clinic a consultation takes any room open at that time; in the old one
    only the rooms without office hours."""
    from zoneinfo import ZoneInfo

    from skinterval.domain import wallclock

    zone = ZoneInfo("Europe/London")
    taken: set[tuple[str, date, int]] = set()
    out: list[dict[str, Any]] = []
    free_rooms = [r["id"] for r in rooms if "hours" not in r]
    attempts = 0
    while len(out) < count and attempts < count * 20:
        attempts += 1
        p = rng.choice(staff)
        on = START_ON + timedelta(days=rng.randrange(7 * weeks))
        spans = [h for h in p["hours"] if h["weekday"] == on.weekday()]
        if not spans:
            continue
        span = rng.choice(spans)
        lo, hi = _minutes(span["start"]), _minutes(span["end"]) - 30
        start = lo + 15 * rng.randrange((hi - lo) // 15 + 1)
        if busy:
            open_rooms = [r["id"] for r in rooms if _open(r, on.weekday(), start)]
            if not open_rooms:
                continue
            room = rng.choice(open_rooms)
        else:
            room = rng.choice(free_rooms)
        device = rng.choice(devices)["id"] if rng.random() < 0.3 else None
        slots = [(p["id"], on, start), (room, on, start)]
        slots += [(k, on, start + 15) for k, _, _ in list(slots)]
        slots += [(k, on, start - 15) for k, _, _ in list(slots[:2])]
        if device is not None:
            slots += [(device, on, start), (device, on, start + 15)]
            slots += [(device, on, start - 15)]
        if any(s in taken for s in slots):
            continue
        taken.update(s for s in slots if s[2] >= start)
        begin = wallclock.to_utc(on, _clock(start), zone).astimezone(zone)
        out.append(
            {
                "id": f"appt{len(out) + 1:04d}",
                "practitioner": p["id"],
                "room": room,
                "device": device,
                "start": begin.isoformat(),
                "end": (begin + timedelta(minutes=30)).isoformat(),
            }
        )
    return out


def _open(room: dict[str, Any], weekday: int, start: int) -> bool:
    """Whether the room is open for a 30-minute consultation at `start`
    (a room without hours is open whenever a practitioner works)."""
    if "hours" not in room:
        return True
    return any(
        h["weekday"] == weekday
        and _minutes(h["start"]) <= start
        and start + 30 <= _minutes(h["end"])
        for h in room["hours"]
    )


def _clock(minute: int) -> Any:
    from datetime import time

    return time(minute // 60, minute % 60)


def with_current_bookings(
    data: dict[str, Any], placements: dict[tuple[str, int], dict[str, Any]], seed: int
) -> dict[str, Any]:
    """Book the first pending session of a random 30 % of patients where
    `placements` (a schedule of the same instance) put it."""
    rng = random.Random(seed)
    for row in data["series"]:
        first = row["sessions"][0]
        where = placements.get((row["id"], first["number"]))
        if where is not None and rng.random() < 0.3:
            first["current"] = {
                "practitioner": where["practitioner"],
                "room": where["room"],
                "device": where["device"],
                "start": where["start"],
            }
    return data


def with_leave(data: dict[str, Any]) -> dict[str, Any]:
    """Two practitioners away for two weeks each, after the calendar was filled."""
    for index, week in ((0, 2), (5, 5)):
        first = START_ON + timedelta(days=7 * week)
        data["practitioners"][index]["off"].append(
            {
                "start_on": first.isoformat(),
                "end_on": (first + timedelta(days=13)).isoformat(),
            }
        )
    return data


def utilisation(data: dict[str, Any]) -> dict[str, float]:
    """Demand over capacity across the horizon, as fractions: the busy minutes
    (duration + buffer) of every pending session whose window meets the horizon,
    plus the booked appointments, over the practitioners' working minutes (leave
    taken out) and over the rooms' open minutes (a room without hours counts
    whenever some practitioner works)."""
    from skinterval.domain.optimizer_calendar import merge, prepare
    from skinterval.domain.optimizer_model import parse_instance

    instance = parse_instance(data)
    prepared = prepare(instance)
    cal = prepared.calendar
    demand = sum(
        s.series.duration_min + s.series.buffer_min
        for chain in prepared.chains
        for s in chain
    )
    demand += sum(
        int((b.end_at - b.start_at).total_seconds()) // 60 for b in instance.booked
    )
    per_day = list(cal.practitioner_spans.values())
    days = range(len(per_day[0]) if per_day else 0)
    working = sum(b - a for spans in per_day for d in days for a, b in spans[d])
    anyone = [merge([s for spans in per_day for s in spans[d]]) for d in days]
    open_min = 0
    for room_days in cal.room_spans.values():
        for d in days:
            spans = anyone[d] if room_days is None else room_days[d]
            open_min += sum(b - a for a, b in spans)
    return {
        "practitioner": round(demand / max(1, working), 3),
        "room": round(demand / max(1, open_min), 3),
    }
