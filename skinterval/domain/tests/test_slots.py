"""Slot search: feasibility on every resource, ranking, windows, DST and grid."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skinterval.domain import wallclock
from skinterval.domain.slots import (
    FreeTime,
    Interval,
    Resource,
    SlotRequest,
    find_slots,
)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2027, 1, 4)


def at(day: date, hh: int, mm: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return wallclock.to_utc(day, time(hh, mm), zone)


def working(days: list[date], start=9, end=17, location="L1", zone=LONDON):
    return tuple(
        FreeTime(at(d, start, 0, zone), at(d, end, 0, zone), location) for d in days
    )


def week(first: date = MONDAY, n: int = 5) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def search(
    request, *, practitioners, rooms=None, devices=None, patient_busy=(), zone=LONDON
):
    if rooms is None:
        rooms = [Resource("room1", working(week(n=7), 0, 23, zone=zone), ())]
    return find_slots(
        request,
        zone=zone,
        practitioners=practitioners,
        rooms=rooms,
        devices=devices,
        patient_busy=patient_busy,
    )


def request(**kw) -> SlotRequest:
    values: dict[str, Any] = {
        "duration_min": 60,
        "earliest_on": MONDAY,
        "latest_on": MONDAY,
    }
    values.update(kw)
    return SlotRequest(**values)


def test_first_slot_is_the_start_of_the_working_day():
    slots = search(request(), practitioners=[Resource("p1", working([MONDAY]))])
    assert slots[0].start == at(MONDAY, 9)
    assert slots[0].end == at(MONDAY, 10)
    assert (slots[0].practitioner_id, slots[0].room_id) == ("p1", "room1")


def test_a_busy_practitioner_is_not_offered():
    prac = Resource(
        "p1", working([MONDAY]), busy=(Interval(at(MONDAY, 9), at(MONDAY, 10)),)
    )
    starts = [s.start for s in search(request(limit=50), practitioners=[prac])]
    assert at(MONDAY, 9) not in starts
    assert at(MONDAY, 9, 15) not in starts
    assert starts[0] == at(MONDAY, 10)


def test_buffers_must_fit_inside_working_time():
    slots = search(
        request(buffer_before_min=15, buffer_after_min=15, limit=100),
        practitioners=[Resource("p1", working([MONDAY]))],
    )
    starts = sorted(s.start for s in slots)
    assert starts[0] == at(MONDAY, 9, 15)
    assert starts[-1] == at(MONDAY, 15, 45)


def test_buffers_keep_clear_of_busy_blocks():
    busy = (Interval(at(MONDAY, 12), at(MONDAY, 13)),)
    slots = search(
        request(buffer_after_min=15, limit=100),
        practitioners=[Resource("p1", working([MONDAY]), busy)],
    )
    starts = {s.start for s in slots}
    assert at(MONDAY, 10, 45) in starts
    assert at(MONDAY, 11) not in starts  # its clean-up would run into 12:00
    assert at(MONDAY, 13) in starts


def test_the_room_must_be_at_the_practitioners_location():
    prac = Resource("p1", working([MONDAY], location="L1"))
    elsewhere = Resource("room-far", working([MONDAY], 0, 23, location="L2"))
    assert search(request(), practitioners=[prac], rooms=[elsewhere]) == []
    here = Resource("room-near", working([MONDAY], 0, 23, location="L1"))
    slots = search(request(), practitioners=[prac], rooms=[elsewhere, here])
    assert slots[0].room_id == "room-near"
    assert slots[0].location_id == "L1"


def test_a_busy_room_moves_the_slot_to_another_room_or_time():
    busy_room = Resource(
        "r1", working([MONDAY], 0, 23), busy=(Interval(at(MONDAY, 9), at(MONDAY, 12)),)
    )
    free_room = Resource("r2", working([MONDAY], 0, 23))
    prac = [Resource("p1", working([MONDAY]))]
    assert search(request(), practitioners=prac, rooms=[busy_room])[0].start == at(
        MONDAY, 12
    )
    both = search(request(), practitioners=prac, rooms=[busy_room, free_room])[0]
    assert (both.start, both.room_id) == (at(MONDAY, 9), "r2")


def test_a_needed_device_must_be_free_and_at_the_location():
    prac = [Resource("p1", working([MONDAY]))]
    pen = Resource(
        "pen", working([MONDAY], 0, 23), busy=(Interval(at(MONDAY, 9), at(MONDAY, 11)),)
    )
    slot = search(request(), practitioners=prac, devices=[pen])[0]
    assert (slot.start, slot.device_id) == (at(MONDAY, 11), "pen")
    assert search(request(), practitioners=prac, devices=[])[0:1] == []


def test_the_patients_other_appointments_block_the_slot():
    prac = [Resource("p1", working([MONDAY]))]
    slot = search(
        request(),
        practitioners=prac,
        patient_busy=[Interval(at(MONDAY, 8), at(MONDAY, 10, 30))],
    )[0]
    assert slot.start == at(MONDAY, 10, 30)


def test_only_days_inside_the_window_are_offered():
    prac = [Resource("p1", working(week()))]
    slots = search(
        request(
            earliest_on=MONDAY + timedelta(days=1),
            latest_on=MONDAY + timedelta(days=2),
            limit=500,
        ),
        practitioners=prac,
    )
    assert {wallclock.local_date(s.start, LONDON) for s in slots} == {
        MONDAY + timedelta(days=1),
        MONDAY + timedelta(days=2),
    }


def test_days_nearest_the_target_rank_first():
    prac = [Resource("p1", working(week()))]
    target = MONDAY + timedelta(days=3)
    slots = search(
        request(
            latest_on=MONDAY + timedelta(days=4),
            target_on=target,
            per_day_limit=1,
            limit=5,
        ),
        practitioners=prac,
    )
    days_found = [wallclock.local_date(s.start, LONDON) for s in slots]
    assert days_found[0] == target
    assert [abs((d - target).days) for d in days_found] == [0, 1, 1, 2, 3]
    assert slots[0].fit.days_from_target == 0
    assert slots[1].fit.days_from_target == -1


def test_same_practitioner_as_last_time_is_preferred():
    pracs = [Resource("p1", working([MONDAY])), Resource("p2", working([MONDAY]))]
    slot = search(request(last_practitioner_id="p2"), practitioners=pracs)[0]
    assert slot.practitioner_id == "p2"
    assert slot.fit.same_practitioner is True


def test_preferences_reorder_slots_within_a_day_but_not_across_days():
    prac = [Resource("p1", working(week()))]
    slots = search(
        request(
            latest_on=MONDAY + timedelta(days=4),
            target_on=MONDAY,
            preferred_weekdays=frozenset({2}),
            preferred_times=((time(14), time(17)),),
        ),
        practitioners=prac,
    )
    best = slots[0]
    # Monday is 2 days nearer than Wednesday: 20 points beat 6 of preferences.
    assert wallclock.local_date(best.start, LONDON) == MONDAY
    assert best.start == at(MONDAY, 14)
    assert best.fit.preferred_time is True
    assert best.fit.preferred_day is False


def test_nothing_before_not_before():
    prac = [Resource("p1", working([MONDAY]))]
    slot = search(request(not_before=at(MONDAY, 13, 5)), practitioners=prac)[0]
    assert slot.start == at(MONDAY, 13, 15)


def test_a_grid_time_seconds_ago_is_not_offered():
    """At 13:15:05 the 13:15 slot has passed: offering it would only end in
    "that time has already passed" when booked."""
    prac = [Resource("p1", working([MONDAY]))]
    now = at(MONDAY, 13, 15) + timedelta(seconds=5)
    slot = search(request(not_before=now), practitioners=prac)[0]
    assert slot.start == at(MONDAY, 13, 30)


@pytest.mark.parametrize(
    ("zone_name", "day"),
    [
        ("Europe/London", date(2027, 3, 28)),
        ("Europe/London", date(2027, 10, 31)),
        ("America/New_York", date(2027, 3, 14)),
        ("America/New_York", date(2027, 11, 7)),
    ],
)
def test_working_hours_hold_in_local_time_on_dst_days(zone_name, day):
    zone = ZoneInfo(zone_name)
    prac = [Resource("p1", working([day], zone=zone))]
    rooms = [Resource("r", working([day], 0, 23, zone=zone))]
    slots = search(
        request(earliest_on=day, latest_on=day, limit=100),
        practitioners=prac,
        rooms=rooms,
        zone=zone,
    )
    local_starts = sorted(s.start.astimezone(zone).time() for s in slots)
    assert local_starts[0] == time(9)
    assert local_starts[-1] == time(16)
    assert len(local_starts) == 29  # 09:00 … 16:00 every 15 minutes


def test_grid_follows_the_local_clock_in_a_zone_with_a_45_minute_offset():
    zone = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    prac = [Resource("p1", working([MONDAY], zone=zone))]
    rooms = [Resource("r", working([MONDAY], 0, 23, zone=zone))]
    slots = search(request(limit=10), practitioners=prac, rooms=rooms, zone=zone)
    assert all(s.start.astimezone(zone).minute % 15 == 0 for s in slots)


def test_invalid_requests_are_refused():
    with pytest.raises(ValueError, match="duration_min"):
        request(duration_min=0)
    with pytest.raises(ValueError, match="latest_on"):
        request(latest_on=MONDAY - timedelta(days=1))
    with pytest.raises(ValueError, match="end after"):
        Interval(at(MONDAY, 10), at(MONDAY, 9))
    with pytest.raises(ValueError, match="naive"):
        Interval(datetime(2027, 1, 1, 9), datetime(2027, 1, 1, 10))  # noqa: DTZ001


# --- property: the fast search agrees with brute force ------------------------

busy_blocks = st.lists(
    st.tuples(st.integers(0, 4 * 24 * 4 - 1), st.integers(1, 16)), max_size=12
)


def _blocks(raw, first: date) -> tuple[Interval, ...]:
    base = at(first, 0)
    return tuple(
        Interval(
            base + timedelta(minutes=15 * s), base + timedelta(minutes=15 * (s + n))
        )
        for s, n in raw
    )


def _brute_force(req: SlotRequest, pracs, rooms, patient_busy) -> dict[Any, bool]:
    """Every minute-grid start checked directly against every interval."""

    def inside(free, busy, lo, hi, loc=None):
        ok_free = any(
            f.start <= lo and hi <= f.end and (loc is None or f.location_id == loc)
            for f in free
        )
        return ok_free and not any(b.start < hi and lo < b.end for b in busy)

    best: dict[Any, bool] = {}
    for day in wallclock.days(req.earliest_on, req.latest_on):
        for minute in range(0, 24 * 60, req.grid_min):
            start = at(day, 0) + timedelta(minutes=minute)
            lo = start - timedelta(minutes=req.buffer_before_min)
            hi = start + timedelta(minutes=req.duration_min + req.buffer_after_min)
            for p in pracs:
                if not inside(p.free, p.busy, lo, hi):
                    continue
                if any(b.start < hi and lo < b.end for b in patient_busy):
                    continue
                loc = next(
                    f.location_id for f in p.free if f.start <= lo and hi <= f.end
                )
                if any(inside(r.free, r.busy, lo, hi, loc) for r in rooms):
                    best[(start, p.id)] = True
    return best


@settings(max_examples=120, deadline=None)
@given(
    p1_busy=busy_blocks,
    p2_busy=busy_blocks,
    room_busy=busy_blocks,
    patient=busy_blocks,
    duration=st.sampled_from([30, 45, 60, 90]),
    buffer_after=st.sampled_from([0, 15]),
)
def test_every_slot_found_is_feasible_and_none_is_missed(
    p1_busy, p2_busy, room_busy, patient, duration, buffer_after
):
    days = week(n=3)
    pracs = [
        Resource("p1", working(days), _blocks(p1_busy, MONDAY)),
        Resource("p2", working(days, 12, 20), _blocks(p2_busy, MONDAY)),
    ]
    rooms = [Resource("r1", working(days, 8, 20), _blocks(room_busy, MONDAY))]
    req = request(
        duration_min=duration,
        buffer_after_min=buffer_after,
        latest_on=days[-1],
        limit=10_000,
    )
    found = search(
        req, practitioners=pracs, rooms=rooms, patient_busy=_blocks(patient, MONDAY)
    )
    expected = _brute_force(req, pracs, rooms, _blocks(patient, MONDAY))
    assert {(s.start, s.practitioner_id) for s in found} == set(expected)
    assert found == sorted(found)


# --- check_slot: one hand-picked time ------------------------------------------


def _check(start, *, prac=None, room=None, device=None, patient_busy=(), **kw):
    from skinterval.domain.slots import check_slot

    return check_slot(
        request(**kw),
        zone=LONDON,
        start=start,
        practitioner=prac or Resource("p1", working([MONDAY])),
        room=room if room is not None else Resource("r1", working([MONDAY], 0, 23)),
        device=device,
        patient_busy=patient_busy,
    )


def test_a_free_time_has_no_problems():
    assert _check(at(MONDAY, 10)) == []


@pytest.mark.parametrize(
    ("kwargs", "start", "code"),
    [
        ({}, at(MONDAY, 16, 30), "practitioner_not_working"),
        (
            {
                "prac": Resource(
                    "p1", working([MONDAY]), (Interval(at(MONDAY, 10), at(MONDAY, 11)),)
                )
            },
            at(MONDAY, 10, 30),
            "practitioner_busy",
        ),
        (
            {
                "room": Resource(
                    "r1",
                    working([MONDAY], 0, 23),
                    (Interval(at(MONDAY, 9), at(MONDAY, 12)),),
                )
            },
            at(MONDAY, 10),
            "room_busy",
        ),
        (
            {"room": Resource("r2", working([MONDAY], 0, 23, location="L2"))},
            at(MONDAY, 10),
            "room_elsewhere",
        ),
        (
            {"room": Resource("r3", working([MONDAY], 12, 13))},
            at(MONDAY, 10),
            "room_unavailable",
        ),
        (
            {
                "device": Resource(
                    "d1",
                    working([MONDAY], 0, 23),
                    (Interval(at(MONDAY, 10), at(MONDAY, 10, 15)),),
                )
            },
            at(MONDAY, 10),
            "device_busy",
        ),
        (
            {"patient_busy": (Interval(at(MONDAY, 10, 30), at(MONDAY, 12)),)},
            at(MONDAY, 10),
            "patient_busy",
        ),
        ({"not_before": at(MONDAY, 11)}, at(MONDAY, 10), "in_the_past"),
        ({}, at(MONDAY + timedelta(days=1), 10), "outside_window"),
    ],
)
def test_each_problem_is_named(kwargs, start, code):
    assert code in _check(start, **kwargs)


def test_a_long_busy_block_is_not_hidden_by_a_short_one_inside_it():
    """Regression: a bisect over unmerged blocks skipped the long one."""
    tuesday = MONDAY + timedelta(days=1)
    busy = (
        Interval(at(tuesday, 8, 15), at(tuesday, 12, 15)),
        Interval(at(tuesday, 8, 30), at(tuesday, 8, 45)),
    )
    prac = [Resource("p2", working([tuesday], 12, 20), busy)]
    slot = search(
        request(duration_min=30, earliest_on=tuesday, latest_on=tuesday),
        practitioners=prac,
    )[0]
    assert slot.start == at(tuesday, 12, 15)
