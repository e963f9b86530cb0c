"""Quiet hours and message times in the clinic's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from skinterval.domain.messaging import (
    Advice,
    QuietHours,
    advice_on,
    aftercare_days,
    parse_hours,
    reminder_times,
    sendable_at,
)

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours(time(21), time(8))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 20:59 London (winter, UTC+0) is before quiet hours: unchanged
        (
            datetime(2027, 1, 4, 20, 59, tzinfo=UTC),
            datetime(2027, 1, 4, 20, 59, tzinfo=UTC),
        ),
        # 21:00 is quiet: sent at 08:00 the next morning
        (
            datetime(2027, 1, 4, 21, 0, tzinfo=UTC),
            datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        ),
        # 03:00 is quiet: sent at 08:00 the same morning
        (
            datetime(2027, 1, 5, 3, 0, tzinfo=UTC),
            datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        ),
        # 08:00 is the end: sent then
        (
            datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
            datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        ),
        # Summer (UTC+1): 20:30 UTC is 21:30 local, quiet until 08:00 BST = 07:00 UTC
        (
            datetime(2027, 7, 5, 20, 30, tzinfo=UTC),
            datetime(2027, 7, 6, 7, 0, tzinfo=UTC),
        ),
        # The night the clocks go forward (28 March 2027): 23:00 GMT on the 27th
        # is quiet until 08:00 BST on the 28th, which is 07:00 UTC
        (
            datetime(2027, 3, 27, 23, 0, tzinfo=UTC),
            datetime(2027, 3, 28, 7, 0, tzinfo=UTC),
        ),
        # The night the clocks go back (31 October 2027): 22:00 BST on the 30th
        # (21:00 UTC) is quiet until 08:00 GMT on the 31st = 08:00 UTC, 11 h later
        (
            datetime(2027, 10, 30, 21, 0, tzinfo=UTC),
            datetime(2027, 10, 31, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_message_due_in_quiet_hours_goes_when_they_end(at, expected):
    assert sendable_at(at, LONDON, NIGHT) == expected


def test_quiet_hours_within_one_day_and_none_at_all():
    lunch = QuietHours(time(12), time(14))
    assert sendable_at(datetime(2027, 1, 4, 13, tzinfo=UTC), LONDON, lunch) == (
        datetime(2027, 1, 4, 14, tzinfo=UTC)
    )
    assert sendable_at(datetime(2027, 1, 4, 11, tzinfo=UTC), LONDON, lunch) == (
        datetime(2027, 1, 4, 11, tzinfo=UTC)
    )
    never = QuietHours(time(9), time(9))
    at = datetime(2027, 1, 4, 3, tzinfo=UTC)
    assert sendable_at(at, LONDON, never) == at


def test_reminder_hours_are_parsed_and_checked():
    assert parse_hours("24, 48") == (48, 24)
    assert parse_hours("") == ()
    for bad in ("x", "0", "400", "1,2,3,4,5,6"):
        with pytest.raises(ValueError, match=r"."):
            parse_hours(bad)


def test_reminders_already_past_are_left_out():
    starts = datetime(2027, 1, 10, 10, tzinfo=UTC)
    now = datetime(2027, 1, 8, 20, tzinfo=UTC)  # 38 h before
    assert reminder_times(starts, (48, 24), not_before=now) == [
        (24, datetime(2027, 1, 9, 10, tzinfo=UTC))
    ]


def test_aftercare_goes_out_on_each_day_some_advice_starts():
    items = [
        Advice(0, 3, "Gentle cleanser."),
        Advice(0, 1, "No make-up."),
        Advice(3, 10, "Start the serum again."),
    ]
    assert aftercare_days(items) == (0, 3)
    assert [a.text for a in advice_on(items, 0)] == ["Gentle cleanser.", "No make-up."]
    assert [a.text for a in advice_on(items, 3)] == [
        "Gentle cleanser.",
        "Start the serum again.",
    ]
