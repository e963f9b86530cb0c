"""Booking a plan's sessions through the booking page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW
from skinterval.domain import wallclock


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def url(plan):
    return reverse("appointments:book_series", args=[plan.pk])


def test_the_page_offers_ranked_times_for_the_next_session(
    bookable, approved_plan, as_user
):
    response = as_user(bookable.practitioner.user).get(url(approved_plan))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Session 1" in text
    assert "on the target day" in text or "after the target" in text
    assert "book that one first" in text  # session 2 waits for session 1


def test_booking_one_time_books_it(bookable, approved_plan, as_user):
    client = as_user(bookable.front_desk.user)
    option = client.get(url(approved_plan)).context["rows"][0]["options"][0][0]
    response = client.post(
        url(approved_plan),
        {
            "session": "1",
            "start": option.slot.start.isoformat(),
            "practitioner": option.practitioner.pk,
            "room": option.room.pk,
            "device": option.device.pk,
        },
        follow=True,
    )
    appt = Appointment.objects.get(plan_session__number=1)
    assert appt.starts_at == option.slot.start
    assert appt.booked_by == bookable.front_desk
    assert "Session 1 booked." in response.content.decode()


def test_a_time_taken_meanwhile_is_explained(bookable, approved_plan, as_user):
    client = as_user(bookable.practitioner.user)
    option = client.get(url(approved_plan)).context["rows"][0]["options"][0][0]
    book_appointment(  # someone else takes it first
        patient=t.make_patient(bookable.clinic),
        service_type=bookable.service,
        practitioner=option.practitioner,
        room=bookable.second_room,
        device=bookable.second_device,
        starts_at=option.slot.start,
        now=NOW,
    )
    response = client.post(
        url(approved_plan),
        {
            "session": "1",
            "start": option.slot.start.isoformat(),
            "practitioner": option.practitioner.pk,
            "room": option.room.pk,
            "device": option.device.pk,
        },
        follow=True,
    )
    assert "already booked then" in response.content.decode()
    assert not Appointment.objects.filter(plan_session__isnull=False).exists()


def test_book_all_places_every_session_inside_its_window(
    bookable, approved_plan, as_user
):
    as_user(bookable.practitioner.user).post(url(approved_plan), {"book_all": "1"})
    zone = bookable.clinic.zone
    sessions = list(approved_plan.sessions.order_by("number"))
    for session in sessions:
        appt = session.appointments.get(status=AppointmentStatus.BOOKED)
        assert session.window_contains(wallclock.local_date(appt.starts_at, zone))
        assert not appt.outside_window


@pytest.mark.parametrize(
    "posted",
    [
        {"session": "1", "start": "not a date"},
        {"session": "one", "start": "2027-01-05T10:00:00+00:00", "practitioner": "1"},
        {"session": "1", "start": "2027-01-05T10:00:00", "practitioner": "1"},
        {"session": "1", "start": "2027-01-05T10:00:00+00:00", "practitioner": "x"},
        {"session": "99", "start": "2027-01-05T10:00:00+00:00", "practitioner": "1"},
    ],
)
def test_tampered_input_is_refused_without_an_error_page(
    bookable, approved_plan, as_user, posted
):
    response = as_user(bookable.practitioner.user).post(
        url(approved_plan), posted, follow=True
    )
    assert response.status_code == 200
    assert "no longer valid" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_draft_plan_cannot_be_booked(bookable, as_user):
    draft = t.make_plan(bookable.patient, bookable.practitioner)
    client = as_user(bookable.practitioner.user)
    assert "Only an approved plan" in client.get(url(draft)).content.decode()
    client.post(url(draft), {"book_all": "1"})
    assert not Appointment.objects.exists()


def _booked_series(bookable, approved_plan, as_user):
    as_user(bookable.practitioner.user).post(url(approved_plan), {"book_all": "1"})
    return approved_plan.sessions.get(number=2).appointments.get()


def test_bob_moves_session_2_to_another_time_inside_its_window(
    bookable, approved_plan, as_user
):
    second = _booked_series(bookable, approved_plan, as_user)
    client = as_user(bookable.front_desk.user)
    page = client.get(reverse("appointments:detail", args=[second.pk]))
    option = next(
        o for o, _ in page.context["options"] if o.slot.start != second.starts_at
    )
    client.post(
        reverse("appointments:detail", args=[second.pk]),
        {
            "pick": "1",
            "start": option.slot.start.isoformat(),
            "practitioner": option.practitioner.pk,
            "room": option.room.pk,
            "device": option.device.pk,
        },
    )
    second.refresh_from_db()
    assert second.starts_at == option.slot.start
    assert second.sequence == 1
    assert not second.outside_window


def test_moving_outside_the_window_is_explained_and_changes_nothing(
    bookable, approved_plan, as_user
):
    second = _booked_series(bookable, approved_plan, as_user)
    session = second.plan_session
    too_late = session.latest_on + timedelta(days=7)
    while too_late.weekday() > 4:
        too_late += timedelta(days=1)
    response = as_user(bookable.front_desk.user).post(
        reverse("appointments:detail", args=[second.pk]),
        {
            "move": "1",
            "on": too_late.isoformat(),
            "at": "10:00",
            "practitioner": bookable.practitioner.pk,
        },
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert "outside the session" in text
    assert f"{session.latest_on:%d %b %Y}" in text
    assert 'value="10:00"' in text  # what was typed stays in the form
    before = second.starts_at
    second.refresh_from_db()
    assert second.starts_at == before


def test_a_reason_allows_a_move_outside_the_window(bookable, approved_plan, as_user):
    second = _booked_series(bookable, approved_plan, as_user)
    too_late = second.plan_session.latest_on + timedelta(days=7)
    while too_late.weekday() > 4:
        too_late += timedelta(days=1)
    as_user(bookable.front_desk.user).post(
        reverse("appointments:detail", args=[second.pk]),
        {
            "move": "1",
            "on": too_late.isoformat(),
            "at": "10:00",
            "practitioner": bookable.practitioner.pk,
            "override_reason": "Patient abroad until then",
        },
    )
    second.refresh_from_db()
    assert wallclock.local_date(second.starts_at, bookable.clinic.zone) == too_late
    assert second.window_override_reason == "Patient abroad until then"
