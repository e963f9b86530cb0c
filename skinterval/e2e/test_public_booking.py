"""A new visitor books a consultation on Clinic A's public page and receives the
confirmation email with its calendar file."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from icalendar import Calendar
from playwright.sync_api import Page, expect

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.booking.models import BookingPage, IntakeResponse
from skinterval.e2e.browser import MONDAY, assert_accessible, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO = (
    "Are you pregnant, or could you be?",
    "Are you breastfeeding?",
    "Do you take medicine that thins the blood (anticoagulants or antiplatelets)?",
    "Do you have a bleeding or clotting disorder?",
    "Is your immune system weakened by an illness or by medicine?",
    "Are you allergic to stainless steel or other metals?",
    "Are you allergic to numbing creams (topical anaesthetics)?",
    "Have you ever formed keloids (raised scars that grow beyond the wound)?",
    "Have you had radiotherapy to the skin you want treated?",
)


@pytest.fixture
def open_clinic(clinic_a):
    cache.clear()  # rate-limit counters
    BookingPage.objects.create(clinic=clinic_a.clinic, contact_text="Call 01234 567890")
    clinic_a.location.address = "1 High Street, Townsville"
    clinic_a.location.save()
    clinic_a.consultation = ServiceType.objects.create(
        clinic=clinic_a.clinic,
        kind=ServiceKind.CONSULTATION,
        name="First consultation",
        duration_min=30,
    )
    yield clinic_a
    cache.clear()


def _answer(page: Page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def test_a_new_visitor_books_a_consultation(page: Page, open_clinic):
    with time_machine.travel(MONDAY, tick=True):
        page.goto("/book/clinic-a/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Book a consultation at Clinic A"
        )
        tuesday = page.get_by_role("group", name="Tuesday 5 January")
        expect(
            tuesday.get_by_role("button", name="Tuesday 5 January, 09:00")
        ).to_be_visible()
        for patient in (open_clinic.patient, open_clinic.other_patient):
            expect(page.locator("main")).not_to_contain_text(patient.family_name)
        screenshot(page, "book-times")
        assert_accessible(page)

        tuesday.get_by_role("button", name="Tuesday 5 January, 09:00").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
        page.get_by_label("Given name").fill("Nora")
        page.get_by_label("Family name").fill("Newcomer")
        page.get_by_label("Date of birth").fill("1991-02-03")
        page.get_by_label("Email").fill("nora@example")
        page.get_by_label("Phone").fill("+44 20 7946 0000")
        page.get_by_label(re.compile("I agree that the clinic keeps")).check()
        page.get_by_role("button", name="Continue to the health questions").click()
        expect(
            page.get_by_text("Enter an email address like name@example.com.")
        ).to_be_visible()
        expect(page.get_by_label("Given name")).to_have_value("Nora")
        assert_accessible(page)
        page.get_by_label("Email").fill("nora@example.com")
        page.get_by_label(re.compile("I agree that the clinic keeps")).check()
        page.get_by_role("button", name="Continue to the health questions").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Health questions")
        expect(page.get_by_text(re.compile("It is held until 08:08"))).to_be_visible()
        assert "Nora" not in page.url
        for question in NO:
            _answer(page, question, "No")
        _answer(
            page,
            "Have you taken isotretinoin (a tablet for severe acne)?",
            "Never",
        )
        _answer(page, "Do you have diabetes?", "No")
        _answer(page, "Do you get cold sores (herpes simplex)?", "Yes")
        screenshot(page, "book-questions")
        assert_accessible(page)
        page.get_by_role("button", name="Book the consultation").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your consultation is booked"
        )
        expect(page.locator("main")).to_contain_text("Tuesday 5 January 2027, 09:00")
        expect(page.locator("main")).to_contain_text("A confirmation is on its way")
        screenshot(page, "book-done")
        assert_accessible(page)

    appointment = Appointment.objects.get(patient__given_name="Nora")
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.service_type == open_clinic.consultation
    intake = IntakeResponse.objects.get(patient=appointment.patient)
    assert [f["code"] for f in intake.findings] == ["herpes_history"]
    # The outbox worker's next pass, a minute later.
    with time_machine.travel(MONDAY + timedelta(minutes=1), tick=False):
        call_command("send_due_messages", "--once")
    (email,) = mail.outbox
    assert email.to == ["nora@example.com"]
    name, data, _mimetype = email.attachments[0]
    assert name == "appointment.ics"
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("DTSTART") == appointment.starts_at
