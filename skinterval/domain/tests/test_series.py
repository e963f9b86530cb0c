"""Windows re-flow from real session dates."""

from __future__ import annotations

from datetime import date, timedelta

from skinterval.domain.plan import IntervalWindow, ScheduleRow
from skinterval.domain.series import outside_window, reflow

INTERVAL = IntervalWindow(min=28, target=35, max=42)
START = date(2027, 1, 4)


def planned(n: int = 4) -> tuple[ScheduleRow, ...]:
    rows, target = [], START
    for k in range(1, n + 1):
        if k == 1:
            rows.append(ScheduleRow(1, START, START, START + timedelta(days=14)))
        else:
            rows.append(
                ScheduleRow(
                    k,
                    target + timedelta(days=28),
                    target + timedelta(days=35),
                    target + timedelta(days=42),
                )
            )
        target = rows[-1].target_on
    return tuple(rows)


def test_without_real_dates_the_plan_is_unchanged():
    assert reflow(planned(), INTERVAL, {}) == planned()


def test_a_later_session_one_moves_every_window_after_it():
    done_on = START + timedelta(days=10)
    rows = reflow(planned(), INTERVAL, {1: done_on})
    assert rows[0] == planned()[0]
    assert rows[1].earliest_on == done_on + timedelta(days=28)
    assert rows[1].target_on == done_on + timedelta(days=35)
    assert rows[1].latest_on == done_on + timedelta(days=42)
    assert rows[2].target_on == rows[1].target_on + timedelta(days=35)


def test_each_window_counts_from_the_real_date_before_it():
    s2 = START + timedelta(days=30)
    rows = reflow(planned(), INTERVAL, {1: START, 2: s2})
    assert rows[2].earliest_on == s2 + timedelta(days=28)
    assert rows[3].earliest_on == s2 + timedelta(days=35 + 28)


def test_bookings_that_no_longer_fit_are_reported():
    booked_3 = START + timedelta(days=70)  # fitted the original plan
    assert outside_window(planned(), {3: booked_3}) == set()
    rows = reflow(planned(), INTERVAL, {1: START + timedelta(days=14), 3: booked_3})
    assert outside_window(rows, {3: booked_3}) == {3}
