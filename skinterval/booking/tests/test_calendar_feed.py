"""The patient's private calendar feed: what calendar programs read, and who can
read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from skinterval import testing as t
from skinterval.appointments.feeds import create_calendar_feed, feed_for_token
from skinterval.appointments.models import AppointmentStatus, CalendarFeed
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from skinterval.booking.tests.helpers import TUESDAY_9, TUESDAY_10
from skinterval.interop.calendar_feed import appointment_uid

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
CLINICAL_WORDS = ("consultation", "micro", "needl", "scar", "acne", "isotretinoin")


def _feed_url(token: str) -> str:
    return reverse("feeds:ics", args=[token])


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return {
        str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")
    }


@pytest.fixture
def booked(bookable):
    bookable.location.address = "1 High Street\nTown"
    bookable.location.save()
    bookable.patient.email = "primary@example.com"
    bookable.patient.save()
    appointment = book_appointment(
        patient=bookable.patient,
        service_type=bookable.consultation,
        practitioner=bookable.practitioner,
        room=bookable.room,
        starts_at=TUESDAY_9,
        now=NOW,
    )
    _feed, token = create_calendar_feed(patient=bookable.patient, now=NOW)
    bookable.appointment = appointment
    bookable.token = token
    return bookable


def test_the_feed_parses_and_shows_the_appointment_in_utc(booked, client):
    events = _events(client.get(_feed_url(booked.token)))
    event = events[appointment_uid(booked.appointment)]
    assert event.decoded("DTSTART") == TUESDAY_9
    assert event.decoded("DTEND") == TUESDAY_9 + timedelta(minutes=30)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Clinic appointment: Clinic A"
    assert str(event["LOCATION"]) == "A main site, 1 High Street Town"


def test_a_moved_appointment_keeps_its_uid_with_a_higher_sequence(booked, client):
    reschedule_appointment(
        appointment=booked.appointment, starts_at=TUESDAY_10, now=NOW
    )
    event = _events(client.get(_feed_url(booked.token)))[
        appointment_uid(booked.appointment)
    ]
    assert event.decoded("DTSTART") == TUESDAY_10
    assert int(event["SEQUENCE"]) == 1


def test_a_cancelled_appointment_stays_as_cancelled(booked, client):
    cancel_appointment(appointment=booked.appointment, reason="ill", now=NOW)
    event = _events(client.get(_feed_url(booked.token)))[
        appointment_uid(booked.appointment)
    ]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_holds_never_appear(booked, client):
    held = book_appointment(
        patient=booked.patient,
        service_type=booked.consultation,
        practitioner=booked.practitioner,
        room=booked.room,
        starts_at=TUESDAY_10,
        now=NOW,
        hold_min=5,
    )
    assert appointment_uid(held) not in _events(client.get(_feed_url(booked.token)))
    held.status = AppointmentStatus.CANCELLED
    held.cancellation_reason = "hold expired"
    held.save()
    assert appointment_uid(held) not in _events(client.get(_feed_url(booked.token)))


def test_the_feed_names_nobody_and_nothing_clinical(booked, client):
    text = client.get(_feed_url(booked.token)).content.decode().lower()
    patient = booked.patient
    for word in (
        patient.given_name,
        patient.family_name,
        patient.chart_number,
        patient.email,
        booked.consultation.name,
        *CLINICAL_WORDS,
    ):
        assert word.lower() not in text


def test_only_this_patients_appointments_are_in_the_feed(booked, client):
    other = t.make_appointment(
        booked,
        patient=booked.other_patient,
        starts_at=TUESDAY_10,
        ends_at=TUESDAY_10 + timedelta(minutes=30),
        blocked_from_at=TUESDAY_10,
        blocked_until_at=TUESDAY_10 + timedelta(minutes=30),
    )
    events = _events(client.get(_feed_url(booked.token)))
    assert set(events) == {appointment_uid(booked.appointment)}
    assert appointment_uid(other) not in events


@pytest.mark.parametrize(
    "mangle",
    [
        lambda tok: tok[:-1] + ("A" if tok[-1] != "A" else "B"),  # wrong secret
        lambda tok: "0" * 12 + tok[12:],  # unknown key
        lambda tok: tok[:20],  # malformed
        lambda tok: "../" + tok,
    ],
)
def test_a_wrong_token_is_404(booked, client, mangle):
    assert client.get(f"/feed/{mangle(booked.token)}.ics").status_code == 404


def test_a_turned_off_or_replaced_feed_is_404(booked, client):
    _new, new_token = create_calendar_feed(patient=booked.patient, now=NOW)
    assert client.get(_feed_url(booked.token)).status_code == 404
    assert client.get(_feed_url(new_token)).status_code == 200
    CalendarFeed.objects.update(revoked_at=NOW)
    assert client.get(_feed_url(new_token)).status_code == 404


def test_only_a_hash_of_the_secret_is_stored(booked):
    feed = CalendarFeed.objects.get(patient=booked.patient)
    assert booked.token[12:] not in feed.secret_sha256
    assert feed_for_token(booked.token) == feed


def test_the_patient_makes_and_turns_off_the_address_in_the_portal(
    bookable, pat, as_user
):
    portal = as_user(pat)
    home = portal.get(reverse("portal:home")).content.decode()
    assert "Make a calendar address" in home
    created = portal.post(reverse("feeds:create"))
    assert created.status_code == 200
    body = created.content.decode()
    address = body.split('id="feed-address" value="')[1].split('"')[0]
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    found = feed_for_token(token)
    assert found is not None
    assert found.patient == bookable.patient
    assert created["Cache-Control"] == "no-store"
    home = portal.get(reverse("portal:home")).content.decode()
    assert "Turn the address off" in home
    assert token not in home  # shown once only
    portal.post(reverse("feeds:revoke"))
    assert feed_for_token(token) is None


def test_staff_and_strangers_cannot_make_a_feed(bookable, as_user, client):
    alice = as_user(bookable.practitioner.user)
    assert alice.post(reverse("feeds:create")).status_code == 404
    assert client.post(reverse("feeds:create")).status_code == 302  # to log in
    assert not CalendarFeed.objects.exists()
