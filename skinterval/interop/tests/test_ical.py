"""The iCalendar mapper: what a calendar program reads back (parsed with the
icalendar library itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from skinterval.interop.ical import CalendarEvent, calendar_bytes

LONDON = ZoneInfo("Europe/London")
START = datetime(2027, 7, 5, 10, 0, tzinfo=LONDON)  # 09:00 UTC (summer time)


def _event(**changes):
    values: dict[str, Any] = {
        "uid": "appointment-1@skinterval",
        "sequence": 0,
        "starts_at": START,
        "ends_at": START + timedelta(minutes=30),
        "stamped_at": datetime(2027, 7, 1, 12, tzinfo=UTC),
        "summary": "Clinic appointment: Clinic A",
        "location": "A main site, 1 High Street",
    }
    values.update(changes)
    return CalendarEvent(**values)


def _events(data: bytes):
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_an_event_reads_back_with_its_uid_sequence_and_utc_times():
    data = calendar_bytes([_event(sequence=3)], name="Clinic A")
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Clinic A"
    (event,) = _events(data)
    assert str(event["UID"]) == "appointment-1@skinterval"
    assert int(event["SEQUENCE"]) == 3
    assert event.decoded("DTSTART") == datetime(2027, 7, 5, 9, 0, tzinfo=UTC)
    assert b"DTSTART:20270705T090000Z" in data
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "A main site, 1 High Street"
    assert b"\r\n" in data
    assert b"VTIMEZONE" not in data


def test_a_cancelled_event_stays_with_status_cancelled():
    (event,) = _events(calendar_bytes([_event(cancelled=True, sequence=1)]))
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_several_events_keep_their_order():
    data = calendar_bytes(
        [
            _event(uid="a@x"),
            _event(
                uid="b@x",
                starts_at=START + timedelta(days=1),
                ends_at=START + timedelta(days=1, minutes=30),
            ),
        ]
    )
    assert [str(e["UID"]) for e in _events(data)] == ["a@x", "b@x"]


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": datetime(2027, 7, 5, 10)},  # noqa: DTZ001 - naive on purpose
        {"ends_at": START},  # not after the start
        {"sequence": -1},
    ],
)
def test_impossible_events_are_refused(changes):
    with pytest.raises(ValueError):  # noqa: PT011
        _event(**changes)
