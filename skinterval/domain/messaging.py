"""When messages to patients go out: quiet hours, reminder times, aftercare days.

Pure: callers pass instants, the clinic's zone and its settings; nothing here reads
a clock or a database. Clinic-local clock times become instants through
`wallclock`, so quiet hours and "09:30 on the day after the session" stay right
across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from skinterval.domain import wallclock


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local clock times between which no message is sent. `start` after `end`
    spans midnight (21:00 → 08:00); equal times mean no quiet hours."""

    start: time
    end: time

    @property
    def off(self) -> bool:
        return self.start == self.end


def quiet_until(at: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime | None:
    """The instant the quiet hours holding `at` end, or None when `at` is outside
    them (or there are none)."""
    if quiet.off:
        return None
    local = wallclock.to_local(at, zone)
    clock, day = local.time().replace(tzinfo=None), local.date()
    if quiet.start < quiet.end:  # within one day, e.g. 12:00-14:00
        if quiet.start <= clock < quiet.end:
            return max(at, wallclock.to_utc(day, quiet.end, zone))
        return None
    if clock >= quiet.start:  # evening part of a span over midnight
        return max(at, wallclock.to_utc(day + timedelta(days=1), quiet.end, zone))
    if clock < quiet.end:  # early-morning part
        return max(at, wallclock.to_utc(day, quiet.end, zone))
    return None


def sendable_at(at: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`at`, or the end of the quiet hours it falls in."""
    return quiet_until(at, zone, quiet) or at


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant the clinic's wall clock reads `day clock`."""
    return wallclock.to_utc(day, clock, zone)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The instant the clinic-local `day` ends (the next local midnight)."""
    return wallclock.day_bounds(day, zone)[1]


def parse_hours(text: str) -> tuple[int, ...]:
    """`"48, 24"` → (48, 24): whole hours before an appointment, largest first.
    Raises ValueError naming the problem."""
    hours: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a whole number of hours")
        value = int(part)
        if not 1 <= value <= 24 * 14:
            raise ValueError(f"{value} hours is outside 1-336")
        hours.add(value)
    if len(hours) > 5:
        raise ValueError("at most 5 reminders")
    return tuple(sorted(hours, reverse=True))


def reminder_times(
    starts_at: datetime, hours_before: Sequence[int], *, not_before: datetime
) -> list[tuple[int, datetime]]:
    """(hours, due instant) for each reminder still ahead of `not_before`."""
    out = []
    for hours in hours_before:
        due = starts_at - timedelta(hours=hours)
        if due >= not_before:
            out.append((hours, due))
    return out


@dataclass(frozen=True, slots=True)
class Advice:
    """One aftercare item of a plan: advice for days `from_day`..`to_day` after a
    session (day 0 is the session's day)."""

    from_day: int
    to_day: int
    text: str


def aftercare_days(items: Iterable[Advice]) -> tuple[int, ...]:
    """The days a message goes out: each day on which some advice starts."""
    return tuple(sorted({item.from_day for item in items if item.to_day >= 0}))


def advice_on(items: Iterable[Advice], day: int) -> tuple[Advice, ...]:
    """The advice that applies on `day`, in the plan's order."""
    return tuple(item for item in items if item.from_day <= day <= item.to_day)
