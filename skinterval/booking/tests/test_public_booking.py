"""A new patient books a consultation on the clinic's public page: the same slot
search and booking path as the staff, a hold while the questions are answered,
the answers kept for the chart, and an email with the appointment's .ics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from icalendar import Calendar

from skinterval import testing as t
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment, release_expired_holds
from skinterval.booking.models import IntakeResponse, RefuseOnline
from skinterval.booking.tests.helpers import (
    CONTACT,
    TUESDAY_9,
    TUESDAY_10,
    answer,
    book,
    give_details,
    pick,
    start_url,
    step_url,
)
from skinterval.interop.calendar_feed import appointment_uid
from skinterval.patients.models import Patient

pytestmark = pytest.mark.django_db


def deliver():
    """Run the message worker once: the confirmation goes out through the outbox."""
    call_command("send_due_messages", "--once")


def _start_value(at: datetime) -> str:
    return f'value="{at.isoformat()}"'


def _nora(world) -> Patient:
    return Patient.objects.get(clinic=world.clinic, given_name="Nora")


def test_the_page_offers_free_times_and_nothing_about_other_bookings(bookable, client):
    t.make_appointment(
        bookable,
        starts_at=TUESDAY_10,
        ends_at=TUESDAY_10 + timedelta(minutes=30),
        blocked_from_at=TUESDAY_10,
        blocked_until_at=TUESDAY_10 + timedelta(minutes=30),
    )
    alice = bookable.practitioner
    response = client.get(
        start_url(bookable),
        {
            "service": bookable.consultation.pk,
            "location": bookable.location.pk,
            "practitioner": alice.pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert _start_value(TUESDAY_9) in body
    assert _start_value(TUESDAY_10) not in body  # Alice is booked then
    assert "<legend>Monday 4 January</legend>" not in body  # within the notice
    for patient in (bookable.patient, bookable.other_patient):
        assert patient.given_name not in body
        assert patient.family_name not in body
        assert patient.chart_number not in body
    # Any practitioner: Dana is free at 10:00 on Tuesdays.
    anyone = client.get(start_url(bookable)).content.decode()
    assert _start_value(TUESDAY_10) in anyone


def test_a_new_visitor_books_a_consultation_and_gets_the_confirmation(bookable, client):
    addresses = []
    assert pick(client, bookable).status_code == 302
    response = give_details(client, bookable)
    addresses.append(response["Location"])
    held = Appointment.objects.get(patient=_nora(bookable))
    assert held.status == AppointmentStatus.HELD
    assert held.hold_expires_at == datetime(2027, 1, 4, 8, 8, tzinfo=UTC)

    response = answer(client, bookable, herpes_simplex_history="yes")
    addresses.append(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == step_url(bookable, "done")

    nora = _nora(bookable)
    assert (nora.family_name, nora.born_on, nora.email) == (
        "Newcomer",
        date(1991, 2, 3),
        "nora@example.com",
    )
    assert nora.chart_number.startswith("WEB-")
    booked = Appointment.objects.get(patient=nora)
    assert booked.pk == held.pk
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.starts_at == TUESDAY_9
    assert booked.service_type == bookable.consultation

    intake = IntakeResponse.objects.get(patient=nora)
    assert intake.appointment == booked
    assert intake.answers["history"]["herpes_simplex_history"] is True
    assert [f["code"] for f in intake.findings] == ["herpes_history"]
    assert intake.flagged

    done = client.get(step_url(bookable, "done")).content.decode()
    assert "Your consultation is booked" in done
    assert "Tuesday 5 January 2027, 09:00" in done

    deliver()
    (email,) = mail.outbox
    assert email.to == ["nora@example.com"]
    assert "Nora" not in email.subject
    assert "Clinic A" in email.subject
    assert "Tuesday 5 January 2027 at 09:00" in email.body
    (name, data, mimetype) = email.attachments[0]
    assert name == "appointment.ics"
    assert mimetype.startswith("text/calendar")
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["UID"]) == appointment_uid(booked)
    assert event.decoded("DTSTART") == TUESDAY_9
    assert "Nora" not in str(data)

    for address in addresses:
        assert str(nora.pk) not in address
        assert "Nora" not in address


def test_the_held_time_is_no_longer_offered_to_anyone_else(bookable, client):
    pick(client, bookable, practitioner=bookable.practitioner.pk)
    give_details(client, bookable)
    from django.test import Client

    other = Client().get(
        start_url(bookable),
        {
            "service": bookable.consultation.pk,
            "location": bookable.location.pk,
            "practitioner": bookable.practitioner.pk,
        },
    )
    assert _start_value(TUESDAY_9) not in other.content.decode()


def test_a_lapsed_hold_is_still_booked_when_nobody_took_the_time(
    bookable, client, clock
):
    pick(client, bookable)
    give_details(client, bookable)
    clock.shift(timedelta(minutes=20))
    release_expired_holds(now=datetime(2027, 1, 4, 8, 20, tzinfo=UTC))
    response = answer(client, bookable)
    assert response["Location"] == step_url(bookable, "done")
    assert (
        Appointment.objects.get(
            patient=_nora(bookable), status=AppointmentStatus.BOOKED
        ).starts_at
        == TUESDAY_9
    )
    deliver()
    assert len(mail.outbox) == 1


def _take(world, at, now):
    return book_appointment(
        patient=world.other_patient,
        service_type=world.consultation,
        practitioner=world.practitioner,
        room=world.room,
        starts_at=at,
        now=now,
    )


def test_a_time_taken_before_the_details_are_sent_says_so_and_offers_others(
    bookable, client
):
    alice = bookable.practitioner.pk
    pick(client, bookable, practitioner=alice)
    _take(bookable, TUESDAY_9, datetime(2027, 1, 4, 8, tzinfo=UTC))
    response = give_details(client, bookable)
    assert response.status_code == 302
    assert response["Location"].startswith(start_url(bookable))
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "That time was just taken" in body
    assert _start_value(TUESDAY_9) not in body
    assert _start_value(TUESDAY_9 + timedelta(minutes=30)) in body
    # The details were kept: choosing another time holds it at once.
    again = pick(client, bookable, TUESDAY_9 + timedelta(minutes=30), alice)
    assert again["Location"] == step_url(bookable, "questions")
    assert Patient.objects.filter(given_name="Nora").count() == 1
    assert answer(client, bookable)["Location"] == step_url(bookable, "done")


def test_a_time_taken_after_the_hold_lapsed_keeps_the_answers(bookable, client, clock):
    alice = bookable.practitioner.pk
    pick(client, bookable, practitioner=alice)
    give_details(client, bookable)
    clock.shift(timedelta(minutes=20))
    _take(bookable, TUESDAY_9, datetime(2027, 1, 4, 8, 20, tzinfo=UTC))
    response = answer(client, bookable, keloid_tendency="yes")
    assert response["Location"].startswith(start_url(bookable))
    assert (
        "That time was just taken" in client.get(response["Location"]).content.decode()
    )
    assert IntakeResponse.objects.filter(patient=_nora(bookable)).count() == 1
    # Another time: booked at once, the answers are not asked again.
    done = pick(client, bookable, TUESDAY_10, alice)
    assert done["Location"] == step_url(bookable, "done")
    booked = Appointment.objects.get(
        patient=_nora(bookable), status=AppointmentStatus.BOOKED
    )
    assert booked.starts_at == TUESDAY_10
    intake = IntakeResponse.objects.get(patient=_nora(bookable))
    assert intake.appointment == booked
    deliver()
    assert len(mail.outbox) == 1


def test_choosing_another_time_gives_back_the_held_one(bookable, client):
    pick(client, bookable)
    give_details(client, bookable)
    first = Appointment.objects.get(patient=_nora(bookable))
    pick(client, bookable, TUESDAY_10)
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED
    assert (
        Appointment.objects.get(
            patient=_nora(bookable), status=AppointmentStatus.HELD
        ).starts_at
        == TUESDAY_10
    )


def test_bad_details_are_refused_next_to_the_field_and_kept(bookable, client):
    pick(client, bookable)
    response = give_details(
        client, bookable, email="not-an-address", born_on="2030-01-01", agree=""
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Enter an email address like name@example.com." in body
    assert "The date of birth is in the future." in body
    assert "The clinic needs your agreement to book." in body
    assert 'value="Nora"' in body
    assert 'value="not-an-address"' in body
    assert not Patient.objects.filter(given_name="Nora").exists()
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()


def test_unanswered_questions_are_refused_and_the_answers_kept(bookable, client):
    pick(client, bookable)
    give_details(client, bookable)
    response = client.post(
        step_url(bookable, "questions"),
        {
            "pregnant": "no",
            "isotretinoin": "stopped",
            "isotretinoin_stopped_on": "2099-01-01",
            "radiotherapy": "yes",
            "procedure_1": "filler",
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Please answer yes or no." in body
    assert "This date is in the future." in body
    assert "Please give the date, even approximately." in body
    assert "Please give the date of this treatment." in body
    assert 'value="2099-01-01"' in body
    assert 'value="stopped" id="id_isotretinoin_2" required checked' in body
    assert not IntakeResponse.objects.exists()


@pytest.mark.parametrize(
    "posted",
    [
        {"start": "yesterday"},
        {"start": "2027-01-05T09:00:00"},  # no time zone
        {"start": "2027-01-05T09:07:00+00:00"},  # not one of the times shown
        {"service": "999999"},
        {"location": "abc"},
        {"practitioner": "999999"},
    ],
)
def test_a_malformed_choice_is_refused_without_an_error(
    bookable, world_b, client, posted
):
    data = {
        "service": bookable.consultation.pk,
        "location": bookable.location.pk,
        "practitioner": "any",
        "start": TUESDAY_9.isoformat(),
        **posted,
    }
    response = client.post(start_url(bookable), data, follow=True)
    assert response.status_code == 200
    if posted.get("start") == "2027-01-05T09:07:00+00:00":
        # Accepted as a choice, then refused when holding it.
        response = client.post(step_url(bookable, "details"), CONTACT, follow=True)
        assert "That time was just taken" in response.content.decode()
    else:
        assert "no longer valid" in response.content.decode()
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()


def test_another_clinics_service_cannot_be_booked_here(bookable, world_b, client):
    from skinterval.appointments.models import ServiceType

    service_b = ServiceType.objects.get(clinic=world_b.clinic)
    response = client.post(
        start_url(bookable),
        {
            "service": service_b.pk,
            "location": bookable.location.pk,
            "practitioner": "any",
            "start": TUESDAY_9.isoformat(),
        },
        follow=True,
    )
    assert "no longer valid" in response.content.decode()


def test_steps_out_of_order_lead_back_to_the_start(bookable, client):
    for step in ("details", "questions", "done"):
        response = client.get(step_url(bookable, step))
        assert response.status_code == 302
        assert response["Location"].startswith(start_url(bookable))


def test_answers_that_are_contraindications_are_flagged_and_still_booked(
    bookable, client
):
    response = book(client, bookable, pregnant="yes", isotretinoin="current")
    assert response["Location"] == step_url(bookable, "done")
    intake = IntakeResponse.objects.get(patient=_nora(bookable))
    assert {f["code"]: f["severity"] for f in intake.findings} == {
        "pregnancy_or_nursing": "block",
        "isotretinoin_current": "block",
    }
    assert Appointment.objects.get(patient=_nora(bookable)).status == "booked"


def test_a_clinic_whose_rules_say_so_refuses_online_booking(bookable, client):
    bookable.page.refuse_online = RefuseOnline.BLOCK
    bookable.page.save()
    response = book(client, bookable, metal_allergy="yes")
    assert response.status_code == 200
    assert "Please contact the clinic" in response.content.decode()
    assert "Call 01234 567890" in response.content.decode()
    held = Appointment.objects.get(patient=_nora(bookable))
    assert held.status == AppointmentStatus.CANCELLED
    assert IntakeResponse.objects.get(patient=_nora(bookable)).flagged
    deliver()
    assert not mail.outbox
    # A caution is not a refusal.
    from django.test import Client

    other = Client()
    response = book(other, bookable, TUESDAY_10, herpes_simplex_history="yes")
    assert response["Location"] == step_url(bookable, "done")


def test_a_clinic_without_an_open_page_has_none(bookable, client):
    bookable.page.is_open = False
    bookable.page.save()
    assert client.get(start_url(bookable)).status_code == 404
    clinic = t.make_clinic(slug="no-page")
    assert client.get(reverse("booking:start", args=[clinic.slug])).status_code == 404


def test_too_many_holds_from_one_address_are_refused_for_a_while(bookable, client):
    for _ in range(10):
        assert pick(client, bookable).status_code == 302
    response = pick(client, bookable)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Please try again in" in response.content.decode()
    # Another address is not affected.
    from django.test import Client

    other = Client(REMOTE_ADDR="203.0.113.9")
    assert pick(other, bookable).status_code == 302


def test_a_second_booking_from_the_same_browser_starts_afresh(bookable, client):
    book(client, bookable)
    pick(client, bookable, TUESDAY_10)
    response = client.get(step_url(bookable, "details"))
    assert response.status_code == 200
    assert "Nora" not in response.content.decode()


def test_staff_see_the_answers_in_the_patient_chart(bookable, client, as_user):
    book(client, bookable, anticoagulant="yes")
    nora = _nora(bookable)
    intake = IntakeResponse.objects.get(patient=nora)
    alice = as_user(bookable.practitioner.user)
    chart = alice.get(reverse("patients:detail", args=[nora.pk])).content.decode()
    assert "Intake questionnaire answered" in chart
    assert reverse("intake:detail", args=[intake.pk]) in chart
    page = alice.get(reverse("intake:detail", args=[intake.pk])).content.decode()
    assert "Takes anticoagulants or antiplatelets" in page
    assert "physician decision" in page  # the rules' own message
    assert "S63" in page


def test_sending_the_answers_twice_books_once(bookable, client):
    book(client, bookable)
    again = answer(client, bookable)
    assert again["Location"] == step_url(bookable, "done")
    assert Appointment.objects.filter(patient=_nora(bookable)).count() == 1
    deliver()
    assert len(mail.outbox) == 1


def test_an_unreadable_week_shows_the_first_week(bookable, client):
    response = client.get(
        start_url(bookable),
        {
            "service": bookable.consultation.pk,
            "location": bookable.location.pk,
            "practitioner": "any",
            "week": "next tuesday",
        },
    )
    assert response.status_code == 200
    assert _start_value(TUESDAY_9) in response.content.decode()
