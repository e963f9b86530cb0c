"""Dragging an appointment on the calendar: the same rules as the Move form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments.models import Appointment
from skinterval.appointments.tests.conftest import NOW, local
from skinterval.domain import wallclock

MOVE = reverse("calendar:move")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def second(bookable, approved_plan, as_user):
    """Session 2 of a series booked whole by Alice."""
    as_user(bookable.practitioner.user).post(
        reverse("appointments:book_series", args=[approved_plan.pk]), {"book_all": "1"}
    )
    return approved_plan.sessions.get(number=2).appointments.get()


def drag(client, appointment, *, days=0, minutes=0, reason=""):
    return client.post(
        MOVE,
        {
            "appointment": appointment.pk,
            "days": days,
            "minutes": minutes,
            "override_reason": reason,
        },
    )


def local_start(appointment):
    appointment.refresh_from_db()
    return wallclock.to_local(appointment.starts_at, appointment.clinic.zone)


def test_bob_drags_session_2_a_day_later_inside_its_window(bookable, second, as_user):
    before = local_start(second)
    session = second.plan_session
    days = 1 if before.date() + timedelta(days=1) <= session.latest_on else -1
    if (before.date() + timedelta(days=days)).weekday() > 4:
        days = -1 if days == 1 else 1

    response = drag(as_user(bookable.front_desk.user), second, days=days)

    assert response.status_code == 200, response.json()
    assert "Appointment moved" in response.json()["message"]
    after = local_start(second)
    assert after.date() == before.date() + timedelta(days=days)
    assert after.time() == before.time()
    assert second.sequence == 1
    assert not second.outside_window


def test_outside_the_window_asks_for_a_reason_then_records_it(
    bookable, second, as_user
):
    before = local_start(second)
    days = (second.plan_session.latest_on - before.date()).days + 7
    while (before.date() + timedelta(days=days)).weekday() > 4:
        days += 1
    client = as_user(bookable.front_desk.user)

    refused = drag(client, second, days=days)

    assert refused.status_code == 422
    assert refused.json()["needs_reason"] is True
    assert "outside the session's window" in refused.json()["error"]
    assert local_start(second) == before

    moved = drag(client, second, days=days, reason="Patient abroad until then")

    assert moved.status_code == 200
    assert local_start(second).date() == before.date() + timedelta(days=days)
    assert second.window_override_reason == "Patient abroad until then"


def test_onto_a_taken_time_is_refused_in_words_and_nothing_moves(
    bookable, second, as_user
):
    first = second.plan_session.plan.sessions.get(number=1).appointments.get()
    other = t.make_appointment(  # the practitioner is busy an hour later that day
        bookable,
        patient=bookable.other_patient,
        starts_at=first.starts_at + timedelta(hours=2),
        ends_at=first.starts_at + timedelta(hours=2, minutes=30),
        blocked_from_at=first.starts_at + timedelta(hours=2),
        blocked_until_at=first.starts_at + timedelta(hours=2, minutes=30),
        room=bookable.second_room,
    )
    before = first.starts_at

    response = drag(as_user(bookable.front_desk.user), first, minutes=120)

    assert response.status_code == 409
    assert response.json()["needs_reason"] is False
    assert "already booked" in response.json()["error"]
    first.refresh_from_db()
    assert first.starts_at == before
    assert Appointment.objects.get(pk=other.pk).starts_at == other.starts_at


def test_a_drag_across_the_spring_change_keeps_the_clock_time(bookable, as_user):
    friday = t.make_appointment(  # Friday before the London change, 10:00 GMT
        bookable,
        starts_at=local(date(2027, 3, 26), 10),
        ends_at=local(date(2027, 3, 26), 10, 30),
        blocked_from_at=local(date(2027, 3, 26), 10),
        blocked_until_at=local(date(2027, 3, 26), 10, 30),
    )

    response = drag(as_user(bookable.front_desk.user), friday, days=3)

    assert response.status_code == 200, response.json()
    after = local_start(friday)
    assert (after.date(), after.hour, after.minute) == (date(2027, 3, 29), 10, 0)
    assert after.utcoffset() == timedelta(hours=1)  # British Summer Time


def test_another_clinics_appointment_cannot_be_dragged(bookable, world_b, as_user):
    theirs = t.make_appointment(world_b)

    response = drag(as_user(bookable.practitioner.user), theirs, days=1)

    assert response.status_code == 404
    assert world_b.patient.given_name not in response.content.decode()
    before = theirs.starts_at
    theirs.refresh_from_db()
    assert theirs.starts_at == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"appointment": "x", "days": "1", "minutes": "0"},
        {"appointment": "1", "days": "9999", "minutes": "0"},
        {"appointment": "1", "days": "1", "minutes": "1.5"},
        {"appointment": "1", "days": "1", "minutes": "0", "override_reason": "x" * 501},
    ],
)
def test_malformed_drags_get_a_message_not_an_error_page(bookable, as_user, data):
    response = as_user(bookable.front_desk.user).post(MOVE, data)

    assert response.status_code == 400
    assert response.json()["error"] == "That move could not be read."
    assert response.json()["fields"]


def test_completed_appointments_are_not_draggable(bookable, as_user):
    done = t.make_appointment(bookable, status="completed")

    events = as_user(bookable.front_desk.user).get(
        reverse("calendar:events"), {"start": "2027-01-04", "end": "2027-01-11"}
    )
    row = next(e for e in events.json() if e["id"] == f"a{done.pk}")
    assert row["startEditable"] is False

    response = drag(as_user(bookable.front_desk.user), done, days=1)
    assert response.status_code == 400
    assert "Only held or booked" in response.json()["error"]
