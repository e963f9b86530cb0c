"""Clinic-local dates and clock times ↔ UTC instants, safe across DST changes.

The one module that owns daylight-saving gaps and folds. Series intervals are
counted in clinic-local *dates*; working hours are local *clock times*; the
database stores UTC instants. Everything converting between them goes through here.

Choices (see docs/decisions/0004-wallclock.md):
- A local time that does not exist (the spring-forward gap, e.g. 01:30 in London on
  the last Sunday of March) is moved forward by the length of the gap, as the
  clock would read had it not jumped (01:30 → 02:30 BST).
- A local time that happens twice (the autumn fold) means its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
"""The days Skinterval plans, books and searches on. Python's dates end at
9999-12-31 and begin at 0001-01-01, so a typed year 9999 or 0001 would run off
the calendar in the first time-zone shift or series interval; such days are
refused with a message instead."""


def in_calendar(day: date) -> bool:
    """Whether `day` is one Skinterval works with (see FIRST_DAY, LAST_DAY)."""
    return FIRST_DAY <= day <= LAST_DAY


def is_nonexistent(day: date, clock: time, zone: ZoneInfo) -> bool:
    """True inside a spring-forward gap: the clock never shows this time."""
    naive = datetime.combine(day, clock)
    there_and_back = (
        naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    )
    return there_and_back != naive


def is_ambiguous(day: date, clock: time, zone: ZoneInfo) -> bool:
    """True inside an autumn fold: the clock shows this time twice."""
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and not is_nonexistent(day, clock, zone)


def to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clinic's wall clock reads `day clock`."""
    # fold=0 reads a time in a gap with the offset from before the jump, which
    # lands as far past the gap's end as the time was past its start, and reads a
    # time in a fold as its first occurrence: exactly the two rules above.
    return datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: instants must be timezone-aware")
    return instant.astimezone(zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The clinic-local calendar date of an instant."""
    return to_local(instant, zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day in UTC: 23 or 25 hours on DST days."""
    return to_utc(day, time(0), zone), to_utc(day + timedelta(days=1), time(0), zone)


def span_bounds(
    first_on: date, last_on: date, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days first_on..last_on, both included."""
    return day_bounds(first_on, zone)[0], day_bounds(last_on, zone)[1]


def days(first_on: date, last_on: date) -> list[date]:
    """Every date from first_on to last_on, both included."""
    return [first_on + timedelta(days=n) for n in range((last_on - first_on).days + 1)]
