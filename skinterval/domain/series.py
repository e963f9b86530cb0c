"""Re-flowing a series' session windows from what really happened.

Each session's window counts from the session before it: from the local date it was
done or is booked for, or, while it has neither, from its target date. Session 1
keeps the window the plan gave it. This is the contract's chaining rule
(`schedule` windows chain from the previous session's date) applied to real dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from skinterval.domain.plan import IntervalWindow, ScheduleRow


@dataclass(frozen=True, slots=True)
class SessionDate:
    """Where a session stands: the local date it was done or is booked for."""

    number: int
    on: date


def reflow(
    planned: Sequence[ScheduleRow],
    interval: IntervalWindow,
    actual: Mapping[int, date],
) -> tuple[ScheduleRow, ...]:
    """The windows of every planned session, given the dates in `actual`
    (session number → date done or booked)."""
    rows: list[ScheduleRow] = []
    previous: date | None = None
    for row in sorted(planned, key=lambda r: r.number):
        if previous is None:
            current = row
        else:
            current = ScheduleRow(
                row.number,
                previous + timedelta(days=interval.min),
                previous + timedelta(days=interval.target),
                previous + timedelta(days=interval.max),
            )
        rows.append(current)
        previous = actual.get(row.number, current.target_on)
    return tuple(rows)


def outside_window(rows: Sequence[ScheduleRow], actual: Mapping[int, date]) -> set[int]:
    """Numbers of sessions whose date falls outside their (re-flowed) window."""
    return {
        row.number
        for row in rows
        if row.number in actual
        and not row.earliest_on <= actual[row.number] <= row.latest_on
    }
