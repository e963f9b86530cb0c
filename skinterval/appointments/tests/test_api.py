"""Scheduling over the JSON API, as an integrating system meets it: slot search,
booking, the lost race, windows, holds, moves, cancellations, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from skinterval import testing as t
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW, colleague, local

TUESDAY = date(2027, 1, 5)
BASE = "/api/appointments/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


class Api:
    """The JSON API as one user calls it: their bearer token, no session cookie."""

    def __init__(self, user=None):
        self.client = t.make_api_client(user)

    def get(self, path, params=None):
        return self.client.get(path, params or {})

    def post(self, path, body=None):
        return self.client.post(path, body or {}, content_type="application/json")


@pytest.fixture
def api():
    return Api


def booking(w, start, **overrides):
    body = {
        "patient_id": str(w.patient.pk),
        "service_id": w.service.pk,
        "practitioner_id": w.practitioner.pk,
        "room_id": w.room.pk,
        "device_id": w.device.pk,
        "starts_at": start.isoformat(),
    }
    body.update(overrides)
    return body


def fields(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- slot search ----------------------------------------------------------------


def test_slots_for_a_planned_session_are_inside_its_window_best_first(
    bookable, approved_plan, api
):
    session = approved_plan.sessions.get(number=1)
    response = api(bookable.front_desk.user).get(
        f"{BASE}slots/plan-session/{session.pk}", {"limit": 5}
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["rank"] for i in items] == [1, 2, 3, 4, 5]
    scores = [i["score"] for i in items]
    assert scores == sorted(scores)
    zone = bookable.clinic.zone
    for item in items:
        day = (
            Appointment._meta.get_field("starts_at")
            .to_python(item["starts_at"])
            .astimezone(zone)
            .date()
        )
        assert session.earliest_on <= day <= session.latest_on
        assert item["practitioner"] == {
            "id": bookable.practitioner.pk,
            "name": bookable.practitioner.display_name,
        }
        assert item["device"] is not None
    best = items[0]
    assert best["days_from_target"] == 0
    assert best["why"] == "on the target day"


def test_slot_search_by_service_practitioner_and_location(bookable, api):
    client = api(bookable.practitioner.user)
    params = {
        "service_id": bookable.service.pk,
        "first_on": "2027-01-05",
        "last_on": "2027-01-06",
        "practitioner_id": bookable.practitioner.pk,
        "location_id": bookable.location.pk,
        "limit": 3,
    }
    items = client.get(f"{BASE}slots", params).json()["items"]
    assert len(items) == 3
    assert items[0]["starts_at"] == "2027-01-05T09:00:00Z"  # soonest first
    assert items[0]["days_from_target"] is None
    assert all(i["location_id"] == bookable.location.pk for i in items)

    elsewhere = t.make_location(bookable.clinic, name="A second site")
    params["location_id"] = elsewhere.pk
    assert client.get(f"{BASE}slots", params).json()["items"] == []


def test_a_slot_search_range_is_checked_with_the_field_named(bookable, api):
    response = api(bookable.practitioner.user).get(
        f"{BASE}slots",
        {
            "service_id": bookable.service.pk,
            "first_on": "2027-01-06",
            "last_on": "2027-01-05",
        },
    )
    assert response.status_code == 422
    assert "last_on" in fields(response)


def test_a_practitioner_not_qualified_for_the_service_is_named(bookable, api):
    unqualified = t.make_staff(bookable.clinic, username="una")
    response = api(bookable.front_desk.user).get(
        f"{BASE}slots",
        {
            "service_id": bookable.service.pk,
            "first_on": "2027-01-05",
            "last_on": "2027-01-05",
            "practitioner_id": unqualified.pk,
        },
    )
    assert response.status_code == 422
    assert fields(response) == {
        "practitioner_id": "This practitioner is not qualified for this service."
    }


def test_with_a_patient_their_own_visits_are_left_out(bookable, api):
    other = colleague(bookable, username="bea")
    book_appointment(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=other,
        room=bookable.second_room,
        device=bookable.second_device,
        starts_at=local(TUESDAY, 9),
        now=NOW,
    )
    params = {
        "service_id": bookable.service.pk,
        "first_on": "2027-01-05",
        "last_on": "2027-01-05",
        "practitioner_id": bookable.practitioner.pk,
        "limit": 1,
    }
    client = api(bookable.front_desk.user)
    anyone = client.get(f"{BASE}slots", params).json()["items"]
    theirs = client.get(
        f"{BASE}slots", {**params, "patient_id": str(bookable.patient.pk)}
    ).json()["items"]
    assert anyone[0]["starts_at"] == "2027-01-05T09:00:00Z"
    assert theirs[0]["starts_at"] == "2027-01-05T10:00:00Z"  # their visit ends


# --- booking --------------------------------------------------------------------


def test_booking_a_time_books_it(bookable, api):
    response = api(bookable.front_desk.user).post(
        BASE, booking(bookable, local(TUESDAY, 10))
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked"
    assert body["starts_at"] == "2027-01-05T10:00:00Z"
    assert body["ends_at"] == "2027-01-05T11:00:00Z"
    assert body["patient_id"] == str(bookable.patient.pk)
    assert body["location"]["id"] == bookable.location.pk
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.booked_by == bookable.front_desk


def test_two_bookings_of_the_same_time_one_gets_409_time_just_taken(bookable, api):
    first = api(bookable.front_desk.user).post(
        BASE, booking(bookable, local(TUESDAY, 10))
    )
    second = api(bookable.practitioner.user).post(
        BASE,
        booking(
            bookable,
            local(TUESDAY, 10),
            patient_id=str(bookable.other_patient.pk),
            room_id=bookable.second_room.pk,
            device_id=bookable.second_device.pk,
        ),
    )
    assert first.status_code == 201
    assert second.status_code == 409
    body = second.json()
    assert "that time was just taken" in body["detail"].lower()
    assert body["errors"] == [
        {"field": "starts_at", "message": "The practitioner is already booked then."}
    ]
    assert Appointment.objects.count() == 1


def test_a_time_the_database_refuses_is_409_as_well(bookable, api, monkeypatch):
    """The race lost at the database (PostgreSQL's exclusion constraint, after the
    check passed) answers like the one the check catches."""
    from skinterval.appointments import fastpath, services
    from skinterval.appointments.errors import SlotTaken

    def lost(appointment):
        raise SlotTaken(["slot_taken"])

    monkeypatch.setattr(services, "_save_or_taken", lost)
    monkeypatch.setattr(fastpath, "try_insert", lambda *a, **k: False)
    response = api(bookable.front_desk.user).post(
        BASE, booking(bookable, local(TUESDAY, 10))
    )
    assert response.status_code == 409
    assert (
        response.json()["detail"] == "That time was just taken. Please choose another."
    )


def test_a_session_outside_its_window_needs_a_reason(bookable, approved_plan, api):
    session = approved_plan.sessions.get(number=2)
    outside = local(session.latest_on + timedelta(days=1), 10)
    while outside.astimezone(bookable.clinic.zone).weekday() > 4:
        outside += timedelta(days=1)
    client = api(bookable.practitioner.user)
    body = booking(bookable, outside, plan_session_id=session.pk)

    refused = client.post(BASE, body)
    assert refused.status_code == 422
    assert "override_reason" in fields(refused)
    assert "outside the session's window" in fields(refused)["starts_at"]
    assert not Appointment.objects.exists()

    body["override_reason"] = "Patient travelling for work"
    booked = client.post(BASE, body)
    assert booked.status_code == 201, booked.content
    assert booked.json()["window_override_reason"] == "Patient travelling for work"
    assert booked.json()["plan_session"]["number"] == 2


def test_a_naive_instant_is_refused_with_a_field_error(bookable, api):
    response = api(bookable.front_desk.user).post(
        BASE, booking(bookable, local(TUESDAY, 10), starts_at="2027-01-05T10:00:00")
    )
    assert response.status_code == 422
    assert "starts_at" in fields(response)
    assert not Appointment.objects.exists()


def test_a_time_nobody_works_is_422(bookable, api):
    saturday = local(date(2027, 1, 9), 10)
    response = api(bookable.front_desk.user).post(BASE, booking(bookable, saturday))
    assert response.status_code == 422
    assert "not working" in response.json()["detail"]


def test_a_hold_is_confirmed_into_a_booking(bookable, api):
    client = api(bookable.front_desk.user)
    held = client.post(
        f"{BASE}holds", {**booking(bookable, local(TUESDAY, 10)), "hold_min": 5}
    )
    assert held.status_code == 201
    assert held.json()["status"] == "held"
    assert held.json()["hold_expires_at"] == "2027-01-04T06:05:00Z"

    confirmed = client.post(f"{BASE}{held.json()['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "booked"
    assert confirmed.json()["hold_expires_at"] is None
    again = client.post(f"{BASE}{held.json()['id']}/confirm")
    assert again.status_code == 400


def test_moving_an_appointment_and_moving_onto_a_taken_time(bookable, api):
    client = api(bookable.front_desk.user)
    mine = client.post(BASE, booking(bookable, local(TUESDAY, 10))).json()
    other = book_appointment(
        patient=bookable.other_patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.second_room,
        device=bookable.second_device,
        starts_at=local(TUESDAY, 14),
        now=NOW,
    )

    moved = client.post(
        f"{BASE}{mine['id']}/move", {"starts_at": local(TUESDAY, 12).isoformat()}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"] == "2027-01-05T12:00:00Z"
    assert moved.json()["sequence"] == 1

    clash = client.post(
        f"{BASE}{mine['id']}/move", {"starts_at": other.starts_at.isoformat()}
    )
    assert clash.status_code == 409
    assert Appointment.objects.get(pk=mine["id"]).starts_at == local(TUESDAY, 12)


def test_cancelling_frees_the_time(bookable, api):
    client = api(bookable.front_desk.user)
    mine = client.post(BASE, booking(bookable, local(TUESDAY, 10))).json()
    cancelled = client.post(f"{BASE}{mine['id']}/cancel", {"reason": "unwell"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_reason"] == "unwell"
    rebooked = client.post(
        BASE,
        booking(
            bookable, local(TUESDAY, 10), patient_id=str(bookable.other_patient.pk)
        ),
    )
    assert rebooked.status_code == 201


def test_the_list_is_paginated_and_filtered(bookable, api):
    colleague_ = t.make_staff(bookable.clinic, username="bea")
    for hour in (9, 11, 14):
        book_appointment(
            patient=bookable.patient,
            service_type=bookable.service,
            practitioner=bookable.practitioner,
            room=bookable.room,
            device=bookable.device,
            starts_at=local(TUESDAY, hour),
            now=NOW,
        )
    book_appointment(
        patient=bookable.other_patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(date(2027, 1, 6), 10),
        now=NOW,
    )
    client = api(bookable.front_desk.user)
    page = client.get(BASE, {"limit": 2}).json()
    assert page["count"] == 4
    assert [a["starts_at"][11:16] for a in page["items"]] == ["09:00", "11:00"]
    rest = client.get(BASE, {"limit": 2, "offset": 2}).json()
    assert len(rest["items"]) == 2

    tuesday = client.get(BASE, {"first_on": "2027-01-05", "last_on": "2027-01-05"})
    assert tuesday.json()["count"] == 3
    theirs = client.get(BASE, {"patient_id": str(bookable.other_patient.pk)})
    assert theirs.json()["count"] == 1
    none = client.get(BASE, {"practitioner_id": colleague_.pk})
    assert none.json()["count"] == 0
    too_many = client.get(BASE, {"limit": 101})
    assert too_many.status_code == 422


# --- who may do what ----------------------------------------------------------------


@pytest.fixture
def booked(bookable):
    return book_appointment(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )


def test_another_clinic_sees_nothing(booked, bookable, world_b, api):
    charlie = api(world_b.practitioner.user)
    for response in (
        charlie.get(f"{BASE}{booked.pk}"),
        charlie.post(f"{BASE}{booked.pk}/cancel"),
        charlie.post(
            f"{BASE}{booked.pk}/move", {"starts_at": local(TUESDAY, 12).isoformat()}
        ),
        charlie.post(BASE, booking(bookable, local(TUESDAY, 14))),
    ):
        assert response.status_code == 404
        assert bookable.patient.given_name not in response.content.decode()
        assert str(bookable.patient.pk) not in response.content.decode()
    listed = charlie.get(BASE).json()
    assert listed["count"] == 0
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_no_token_is_401_and_a_patient_is_403(booked, bookable, pat, api):
    anonymous = api()
    response = anonymous.get(f"{BASE}{booked.pk}")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert (
        anonymous.post(BASE, booking(bookable, local(TUESDAY, 14))).status_code == 401
    )

    patient = api(pat)
    assert patient.get(f"{BASE}{booked.pk}").status_code == 403
    assert patient.get(BASE).status_code == 403
    assert patient.post(f"{BASE}{booked.pk}/cancel").status_code == 403
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_a_logged_in_browser_session_is_not_enough(booked, as_user, bookable):
    response = as_user(bookable.front_desk.user).get(f"{BASE}{booked.pk}")
    assert response.status_code == 401


# --- the race, over real HTTP --------------------------------------------------------

RACERS = 6


# PostgreSQL only: pytest-django's live server shares the test's one in-memory
# SQLite connection among its threads, so SQLite's write lock cannot serialise
# them there (on a real SQLite file each request has its own connection).
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_bookings_over_http_one_wins_the_rest_are_told_it_was_taken(
    bookable, live_server
):
    """Several systems book the same practitioner at the same time, at once, over
    real HTTP: exactly one 201, every other answer 409 "that time was just taken"
    in the error format, never a server error."""
    import json
    import threading
    import urllib.error
    import urllib.request
    from collections import Counter

    from skinterval.accounts.api_tokens import issue_token

    token = issue_token(user=bookable.front_desk.user, name="race")
    bodies = [
        booking(
            bookable,
            local(TUESDAY, 10),
            patient_id=str(t.make_patient(bookable.clinic).pk),
            room_id=t.make_room(bookable.location).pk,
            device_id=t.make_device(bookable.location).pk,
        )
        for _ in range(RACERS)
    ]
    barrier = threading.Barrier(RACERS)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def post(body):
        request = urllib.request.Request(  # noqa: S310 - the live server's http URL
            f"{live_server.url}{BASE}",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                answer = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as refused:
            answer = (refused.code, json.loads(refused.read() or b"{}"))
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert Counter(status for status, _ in answers) == Counter(
        {201: 1, 409: RACERS - 1}
    )
    for status, body in answers:
        if status == 409:
            assert body["detail"] == "That time was just taken. Please choose another."
            assert body["errors"][0]["field"] == "starts_at"
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
