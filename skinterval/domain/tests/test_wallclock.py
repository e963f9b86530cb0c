"""DST days in Europe/London and America/New_York, both directions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from skinterval.domain import wallclock as wc

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

# (zone, spring-forward day, gap time, autumn-back day, fold time)
DST = [
    (LONDON, date(2027, 3, 28), time(1, 30), date(2027, 10, 31), time(1, 30)),
    (NEW_YORK, date(2027, 3, 14), time(2, 30), date(2027, 11, 7), time(1, 30)),
]


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "fold"), DST)
def test_day_lengths_on_dst_days(zone, spring, gap, autumn, fold):
    start, end = wc.day_bounds(spring, zone)
    assert end - start == timedelta(hours=23)
    start, end = wc.day_bounds(autumn, zone)
    assert end - start == timedelta(hours=25)
    start, end = wc.day_bounds(spring + timedelta(days=1), zone)
    assert end - start == timedelta(hours=24)


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "fold"), DST)
def test_nine_oclock_is_nine_oclock_on_both_sides_of_each_change(
    zone, spring, gap, autumn, fold
):
    for day in (spring - timedelta(days=1), spring, autumn, autumn + timedelta(days=1)):
        instant = wc.to_utc(day, time(9), zone)
        assert wc.to_local(instant, zone).time() == time(9)
        assert wc.local_date(instant, zone) == day


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "fold"), DST)
def test_a_time_in_the_spring_gap_moves_forward_by_the_gap(
    zone, spring, gap, autumn, fold
):
    assert wc.is_nonexistent(spring, gap, zone)
    assert not wc.is_ambiguous(spring, gap, zone)
    local = wc.to_local(wc.to_utc(spring, gap, zone), zone)
    assert local.time() == time(gap.hour + 1, gap.minute)
    assert local.date() == spring


@pytest.mark.parametrize(("zone", "spring", "gap", "autumn", "fold"), DST)
def test_a_time_in_the_autumn_fold_means_its_first_occurrence(
    zone, spring, gap, autumn, fold
):
    assert wc.is_ambiguous(autumn, fold, zone)
    assert not wc.is_nonexistent(autumn, fold, zone)
    first = wc.to_utc(autumn, fold, zone)
    later = datetime.combine(autumn, fold).replace(tzinfo=zone, fold=1).astimezone(UTC)
    assert later - first == timedelta(hours=1)


def test_ordinary_times_are_neither_gaps_nor_folds():
    assert not wc.is_nonexistent(date(2027, 6, 1), time(1, 30), LONDON)
    assert not wc.is_ambiguous(date(2027, 6, 1), time(1, 30), LONDON)


def test_local_date_differs_from_utc_date_late_in_new_york():
    instant = datetime(2027, 1, 6, 3, 0, tzinfo=UTC)  # 22:00 on the 5th in New York
    assert wc.local_date(instant, NEW_YORK) == date(2027, 1, 5)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        wc.to_local(datetime(2027, 1, 1, 9), LONDON)  # noqa: DTZ001


def test_span_bounds_and_days():
    start, end = wc.span_bounds(date(2027, 3, 27), date(2027, 3, 28), LONDON)
    assert end - start == timedelta(hours=47)
    assert wc.days(date(2027, 2, 27), date(2027, 3, 1)) == [
        date(2027, 2, 27),
        date(2027, 2, 28),
        date(2027, 3, 1),
    ]
