"""iCalendar (RFC 5545) from appointment data: pure functions, no Django, no clock.

`calendar_bytes` turns `CalendarEvent`s into one VCALENDAR. The callers (the
patient's calendar feed, the booking confirmation email) build the events from
their rows; this module only knows the format:

- `UID` is given by the caller and must stay the same for the life of an
  appointment, so that calendar programs update an event instead of adding one;
- `SEQUENCE` is the appointment's revision (bumped on every move or cancellation);
- a cancelled appointment stays in the calendar with `STATUS:CANCELLED`, so that
  subscribed calendars remove it;
- every time is written in UTC (`...Z`), so no VTIMEZONE is needed;
- the text is whatever the caller gives: callers pass words with no health details
  ("Clinic appointment" and the clinic's name and address).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event

PRODID = "-//Skinterval//Skinterval//EN"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One appointment as a calendar shows it. Instants must be timezone-aware."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    stamped_at: datetime  # when this version of the event was made (DTSTAMP)
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "stamped_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")


def to_vevent(event: CalendarEvent) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamped_at.astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(UTC))
    vevent.add("dtend", event.ends_at.astimezone(UTC))
    vevent.add("summary", event.summary)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.cancelled else "OPAQUE")
    return vevent


def to_calendar(
    events: Iterable[CalendarEvent], *, name: str = "", method: str = "PUBLISH"
) -> Calendar:
    """One VCALENDAR holding the events, in the order given."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(to_vevent(event))
    return calendar


def calendar_bytes(
    events: Iterable[CalendarEvent], *, name: str = "", method: str = "PUBLISH"
) -> bytes:
    """The VCALENDAR as the bytes of an `.ics` file (CRLF line ends, UTF-8)."""
    data: bytes = to_calendar(events, name=name, method=method).to_ical()
    return data
