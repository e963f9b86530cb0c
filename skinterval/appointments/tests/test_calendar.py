"""The staff calendar: its page and the JSON of events for a visible range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.appointments.tests.conftest import NOW, local
from skinterval.clinics.models import Closure, TimeOff

EVENTS = reverse("calendar:events")
WEEK = {"start": "2027-01-04", "end": "2027-01-11"}  # Monday to Monday


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def events(client, **params):
    response = client.get(EVENTS, params)
    assert response.status_code == 200, response.content
    return response.json()


def appointments(rows):
    return [e for e in rows if e.get("extendedProps", {}).get("kind") == "appointment"]


def test_the_week_shows_the_clinics_appointments_with_status_and_link(world_a, as_user):
    booked = t.make_appointment(world_a)
    held = t.make_appointment(
        world_a,
        patient=world_a.other_patient,
        room=None,
        starts_at=local(date(2027, 1, 6), 14),
        ends_at=local(date(2027, 1, 6), 14, 30),
        blocked_from_at=local(date(2027, 1, 6), 14),
        blocked_until_at=local(date(2027, 1, 6), 14, 30),
        status=AppointmentStatus.HELD,
        hold_expires_at=NOW + timedelta(minutes=10),
    )
    t.make_appointment(
        world_a,
        starts_at=local(date(2027, 1, 7), 9),
        ends_at=local(date(2027, 1, 7), 9, 30),
        blocked_from_at=local(date(2027, 1, 7), 9),
        blocked_until_at=local(date(2027, 1, 7), 9, 30),
        status=AppointmentStatus.CANCELLED,
    )
    t.make_appointment(  # the week after: outside the range
        world_a,
        starts_at=local(date(2027, 1, 11), 9),
        ends_at=local(date(2027, 1, 11), 9, 30),
        blocked_from_at=local(date(2027, 1, 11), 9),
        blocked_until_at=local(date(2027, 1, 11), 9, 30),
    )

    rows = appointments(events(as_user(world_a.front_desk.user), **WEEK))

    assert [e["id"] for e in rows] == [f"a{booked.pk}", f"a{held.pk}"]
    first, second = rows
    assert first["title"] == "PatientA Primary"
    assert first["start"] == "2027-01-05T10:00:00+00:00"
    assert first["end"] == "2027-01-05T10:30:00+00:00"
    assert first["url"] == reverse("appointments:detail", args=[booked.pk])
    assert first["extendedProps"]["statusLabel"] == "Booked"
    assert first["extendedProps"]["where"] == "Alice, A room"
    assert "appt-booked" in first["classNames"]
    assert "appt-held" in second["classNames"]
    assert second["extendedProps"]["statusLabel"] == "Held while booking"


def test_working_hours_closures_and_time_off(world_a, as_user):
    t.make_working_interval(world_a.practitioner, world_a.location, weekday=1)
    t.make_working_interval(world_a.practitioner, world_a.location, weekday=2)
    Closure.objects.create(
        clinic=world_a.clinic,
        location=world_a.location,
        starts_on=date(2027, 1, 5),
        ends_on=date(2027, 1, 5),
        reason="Flooded",
    )
    TimeOff.objects.create(
        clinic=world_a.clinic,
        staff_member=world_a.practitioner,
        starts_on=date(2027, 1, 6),
        ends_on=date(2027, 1, 6),
        reason="Training",
    )

    rows = events(as_user(world_a.practitioner.user), **WEEK)

    working = [(e["start"], e["end"]) for e in rows if e.get("display") == "background"]
    # Monday only: Tuesday is closed and Wednesday is time off.
    assert working == [("2027-01-04T09:00:00+00:00", "2027-01-04T17:00:00+00:00")]
    all_day = {e["title"]: (e["start"], e["end"]) for e in rows if e.get("allDay")}
    assert all_day == {
        "Closed (A main site): Flooded": ("2027-01-05", "2027-01-06"),
        "Alice away: Training": ("2027-01-06", "2027-01-07"),
    }


def test_public_holidays_close_the_day(world_a, as_user):
    rows = events(
        as_user(world_a.practitioner.user), start="2026-12-28", end="2027-01-04"
    )
    titles = [(e["title"], e["start"]) for e in rows if e.get("allDay")]
    assert ("Public holiday", "2027-01-01") in titles
    # Monday 28 December is a bank holiday in England: no working hours shown.
    assert not [e for e in rows if e.get("display") == "background"]


def test_one_practitioner_room_or_device(world_a, as_user):
    colleague = t.make_staff(world_a.clinic, username="dana")
    other_room = t.make_room(world_a.location)
    mine = t.make_appointment(world_a, device=world_a.device)
    theirs = t.make_appointment(
        world_a,
        patient=world_a.other_patient,
        practitioner=colleague,
        room=other_room,
        starts_at=local(date(2027, 1, 5), 11),
        ends_at=local(date(2027, 1, 5), 11, 30),
        blocked_from_at=local(date(2027, 1, 5), 11),
        blocked_until_at=local(date(2027, 1, 5), 11, 30),
    )
    client = as_user(world_a.front_desk.user)

    def ids(resource):
        return [
            e["id"] for e in appointments(events(client, resource=resource, **WEEK))
        ]

    assert ids("") == [f"a{mine.pk}", f"a{theirs.pk}"]
    assert ids(f"p{world_a.practitioner.pk}") == [f"a{mine.pk}"]
    assert ids(f"p{colleague.pk}") == [f"a{theirs.pk}"]
    assert ids(f"r{world_a.room.pk}") == [f"a{mine.pk}"]
    assert ids(f"r{other_room.pk}") == [f"a{theirs.pk}"]
    assert ids(f"d{world_a.device.pk}") == [f"a{mine.pk}"]


def test_times_on_the_london_autumn_change_keep_their_wall_clock(world_a, as_user):
    """25 October 2026: clocks go back at 02:00 BST. 10:00 on the Saturday is
    09:00 UTC (+01:00); 10:00 on the Sunday is 10:00 UTC (+00:00)."""
    for weekday in (5, 6):
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    saturday = t.make_appointment(
        world_a,
        starts_at=datetime(2026, 10, 24, 9, tzinfo=UTC),
        ends_at=datetime(2026, 10, 24, 9, 30, tzinfo=UTC),
        blocked_from_at=datetime(2026, 10, 24, 9, tzinfo=UTC),
        blocked_until_at=datetime(2026, 10, 24, 9, 30, tzinfo=UTC),
    )
    sunday = t.make_appointment(
        world_a,
        patient=world_a.other_patient,
        starts_at=datetime(2026, 10, 25, 10, tzinfo=UTC),
        ends_at=datetime(2026, 10, 25, 10, 30, tzinfo=UTC),
        blocked_from_at=datetime(2026, 10, 25, 10, tzinfo=UTC),
        blocked_until_at=datetime(2026, 10, 25, 10, 30, tzinfo=UTC),
    )

    # As FullCalendar asks for a named time zone: wall-clock times, no offset.
    rows = events(
        as_user(world_a.practitioner.user),
        start="2026-10-19T00:00:00",
        end="2026-10-26T00:00:00",
        timeZone="Europe/London",
    )

    by_id = {e["id"]: e for e in rows}
    assert by_id[f"a{saturday.pk}"]["start"] == "2026-10-24T10:00:00+01:00"
    assert by_id[f"a{sunday.pk}"]["start"] == "2026-10-25T10:00:00+00:00"
    assert by_id[f"a{sunday.pk}"]["end"] == "2026-10-25T10:30:00+00:00"
    working = {e["start"]: e["end"] for e in rows if e.get("display") == "background"}
    assert working["2026-10-24T09:00:00+01:00"] == "2026-10-24T17:00:00+01:00"
    assert working["2026-10-25T09:00:00+00:00"] == "2026-10-25T17:00:00+00:00"
    assert working["2026-10-19T09:00:00+01:00"] == "2026-10-19T17:00:00+01:00"


def test_an_appointment_at_the_edge_of_a_dst_day_falls_on_its_local_day(
    world_a, as_user
):
    # 23:30 BST on Saturday 24 October is 22:30 UTC; asking for Sunday alone
    # must not return it, asking for Saturday must.
    starts = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    t.make_appointment(
        world_a,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=30),
    )
    client = as_user(world_a.practitioner.user)
    sunday = appointments(events(client, start="2026-10-25", end="2026-10-26"))
    saturday = appointments(events(client, start="2026-10-24", end="2026-10-25"))
    assert sunday == []
    assert [e["start"] for e in saturday] == ["2026-10-24T23:30:00+01:00"]


def test_charlie_sees_nothing_of_clinic_a(world_a, world_b, as_user):
    t.make_appointment(world_a)
    client = as_user(world_b.practitioner.user)

    body = client.get(EVENTS, WEEK).content.decode()
    assert "PatientA" not in body
    assert appointments(events(client, **WEEK)) == []
    for resource in (
        f"p{world_a.practitioner.pk}",
        f"r{world_a.room.pk}",
        f"d{world_a.device.pk}",
    ):
        response = client.get(EVENTS, {**WEEK, "resource": resource})
        assert response.status_code == 400
        assert response.json() == {"error": "Unknown practitioner, room or device."}


def test_pat_is_refused_and_anonymous_goes_to_log_in(world_a, pat, as_user, client):
    t.make_appointment(world_a)
    refused = as_user(pat).get(EVENTS, WEEK)
    assert refused.status_code == 403
    assert "PatientA" not in refused.content.decode()
    anonymous = client.get(EVENTS, WEEK)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "yesterday", "end": "2027-01-11"}, "is not a date"),
        ({"start": "2027-02-30", "end": "2027-03-02"}, "is not a date"),
        ({"start": "2027-01-04", "end": "2027-01-04"}, "must be after"),
        ({"start": "2027-01-11", "end": "2027-01-04"}, "must be after"),
        ({"start": "2027-01-01", "end": "2027-03-05"}, "at most 62 days"),
        ({"start": "2027-01-04"}, "both start and end"),
        ({**WEEK, "resource": "p999999"}, "Unknown"),
        ({**WEEK, "resource": "r"}, "Unknown"),
        ({**WEEK, "resource": "x12"}, "Unknown"),
        ({**WEEK, "resource": "p" + "9" * 40}, "Unknown"),
        ({**WEEK, "resource": "p-1"}, "Unknown"),
        ({"start": "\x00", "end": "9" * 500}, "is not a date"),
    ],
)
def test_bad_parameters_are_answered_400_in_words(world_a, as_user, params, message):
    response = as_user(world_a.front_desk.user).get(EVENTS, params)
    assert response.status_code == 400
    assert message.lower() in response.json()["error"].lower()


def test_only_practitioners_have_a_calendar(world_a, as_user):
    response = as_user(world_a.front_desk.user).get(
        EVENTS, {**WEEK, "resource": f"p{world_a.front_desk.pk}"}
    )
    assert response.status_code == 400  # front desk has no calendar of its own


def test_without_a_range_the_current_week_is_sent(world_a, as_user):
    t.make_appointment(world_a)  # Tuesday 5 January 2027; NOW is Monday the 4th
    rows = appointments(events(as_user(world_a.practitioner.user)))
    assert [e["start"] for e in rows] == ["2027-01-05T10:00:00+00:00"]


def _count_queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(EVENTS, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(appointments(response.json()))


@pytest.mark.parametrize("resource", ["", "p", "r"])
def test_queries_do_not_grow_with_the_number_of_appointments(
    world_a, as_user, resource
):
    colleague = t.make_staff(world_a.clinic, username="erin")
    for weekday in range(5):
        t.make_working_interval(colleague, world_a.location, weekday=weekday)
    TimeOff.objects.create(
        clinic=world_a.clinic,
        staff_member=colleague,
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 1, 8),
    )
    key = {
        "": "",
        "p": f"p{world_a.practitioner.pk}",
        "r": f"r{world_a.room.pk}",
    }[resource]
    client = as_user(world_a.front_desk.user)
    params = {**WEEK, "resource": key}
    t.make_appointment(world_a)
    one = _count_queries(client, params)
    for n in range(49):
        day = date(2027, 1, 4) + timedelta(days=n % 7)
        starts = local(day, 8) + timedelta(minutes=15 * (n // 7 + 1))
        t.make_appointment(
            world_a,
            patient=t.make_patient(world_a.clinic),
            room=world_a.room if n % 2 else None,
            device=world_a.device if n % 3 == 0 else None,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            blocked_from_at=starts,
            blocked_until_at=starts + timedelta(minutes=15),
        )
    fifty = _count_queries(client, params)
    assert one[1] == 1
    assert fifty[1] > 1 if resource == "r" else fifty[1] == 50
    assert one[0] == fifty[0]


def test_the_page_loads_fullcalendar_in_the_clinics_zone(world_a, as_user):
    response = as_user(world_a.front_desk.user).get(reverse("calendar:page"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "vendor/fullcalendar/index.global.min.js" in text
    assert '"timeZone": "Europe/London"' in text
    assert '"now": "2027-01-04T06:00:00"' in text  # the clinic's wall clock
    assert "All practitioners" in text
    assert f'value="p{world_a.practitioner.pk}"' in text
    assert f'value="r{world_a.room.pk}"' in text
    assert f'value="d{world_a.device.pk}"' in text


def test_other_pages_do_not_load_fullcalendar(world_a, as_user):
    response = as_user(world_a.front_desk.user).get(reverse("clinics:dashboard"))
    assert "fullcalendar" not in response.content.decode()


def test_the_page_with_an_unknown_resource_says_so(world_b, world_a, as_user):
    response = as_user(world_a.front_desk.user).get(
        reverse("calendar:page"),
        {"resource": f"r{world_b.room.pk}", "view": "day"},
        follow=True,
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Unknown practitioner, room or device." in text
    assert "B room" not in text
    assert '"initialView": "timeGridDay"' in text


@pytest.mark.parametrize("persona", ["pat", "anonymous"])
def test_the_page_refuses_others(world_a, pat, as_user, client, persona):
    browser = as_user(pat) if persona == "pat" else client
    response = browser.get(reverse("calendar:page"))
    assert response.status_code == (403 if persona == "pat" else 302)


def test_an_appointment_whose_preparation_alone_falls_in_range_is_left_out(
    world_a, as_user
):
    starts = local(date(2027, 1, 11), 0)  # midnight after the week asked for
    t.make_appointment(
        world_a,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from_at=starts - timedelta(minutes=15),
        blocked_until_at=starts + timedelta(minutes=30),
    )
    client = as_user(world_a.practitioner.user)
    assert appointments(events(client, **WEEK)) == []
    assert len(appointments(events(client, start="2027-01-11", end="2027-01-12"))) == 1
