"""Alice has the patient sign the treatment consent on the tablet, then charts
session 1 of an approved, booked plan: a depth above the plan is refused next to
its field, she corrects it and completes the session."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
)
from skinterval.appointments.queries import slots_for_plan_session
from skinterval.appointments.services import book_appointment
from skinterval.charting.models import ChartStatus, Consent, SessionChart
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booked_session_1(clinic_a) -> Appointment:
    world_a, service = clinic_a, clinic_a.service
    with time_machine.travel(MONDAY, tick=False):
        plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
        session = plan.sessions.get(number=1)
        best = slots_for_plan_session(
            plan_session=session, service=service, now=MONDAY, limit=1
        )[0]
        return book_appointment(
            patient=plan.patient,
            service_type=service,
            practitioner=best.practitioner,
            room=best.room,
            device=best.device,
            starts_at=best.slot.start,
            now=MONDAY,
            plan_session=session,
        )


def test_consent_on_the_tablet_then_chart_session_1(page: Page, booked_session_1):
    appointment = booked_session_1
    patient = appointment.patient
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "alice")
        page.goto(reverse("appointments:detail", args=[appointment.pk]))
        page.get_by_role("link", name="Chart this session").click()

        # No consent: refused, with the way to sign it.
        expect(page.get_by_role("alert")).to_contain_text(
            "No session starts without the patient's signed consent"
        )
        page.get_by_role(
            "link", name="Sign the consent to micro-needling on the tablet"
        ).click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Consent to micro-needling treatment"
        )
        page.get_by_label("I have read this information").check()
        page.get_by_label("I agree, as set out above.").check()
        page.get_by_label("Your full name").fill(patient.full_name)
        page.get_by_label("Your full name").blur()  # no focus ring: stable pixels
        screenshot(page, "consent")
        assert_accessible(page)
        page.get_by_role("button", name="Sign").click()

        # Back on the session: the safety re-check.
        expect(page.get_by_text("Consent signed and recorded.")).to_be_visible()
        consent = Consent.objects.get(patient=patient)
        assert consent.witnessed_by is not None
        assert consent.witnessed_by.user.username == "alice"
        for question in (
            "Pregnant or breastfeeding?",
            "Taking isotretinoin, or took it since the plan?",
            "An infection, open wound or irritated skin in an area to be treated?",
            "Another skin procedure since the plan (peel, laser, filler, ...)?",
            "A cold sore now?",
        ):
            page.get_by_role("group", name=question).get_by_label("No").check()
        page.get_by_role("button", name="Record the re-check").click()

        # Charting each treated area of the plan.
        cheeks = page.get_by_role("group", name=re.compile(r"^Cheeks"))
        expect(cheeks).to_contain_text("plan 1.0–1.5 mm")
        cheeks.get_by_label("Depth (mm)").fill("2.0")
        cheeks.get_by_label("Passes").fill("3")
        cheeks.get_by_label("Cartridge lot").fill("LOT-2027-001")
        page.get_by_label("Anaesthetic").select_option("topical")
        page.get_by_label("Endpoint reached").select_option("pinpoint_bleeding")
        page.get_by_label("Immediate reaction").select_option("expected")
        page.get_by_label("Notes").fill("Even pinpoint bleeding reached.")
        screenshot(page, "charting")
        assert_accessible(page)
        page.get_by_role("button", name="Complete the session").click()

        # Refused next to the field, with everything typed still there.
        expect(cheeks.get_by_role("alert")).to_contain_text(
            "deeper than the plan allows for this area (1.5 mm)"
        )
        expect(cheeks.get_by_label("Cartridge lot")).to_have_value("LOT-2027-001")
        expect(page.get_by_label("Notes")).to_have_value(
            "Even pinpoint bleeding reached."
        )
        screenshot(page, "charting-refused")
        assert_accessible(page)
        assert SessionChart.objects.get().status == ChartStatus.IN_PROGRESS

        cheeks.get_by_label("Depth (mm)").fill("1.25")
        page.get_by_role("button", name="Complete the session").click()
        expect(page.get_by_text("Session charted and completed.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text("session 1")

        chart = SessionChart.objects.get()
        assert chart.status == ChartStatus.COMPLETED
        assert str(chart.areas.get().depth_mm) == "1.25"
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.COMPLETED

        # The patient's chart: the session, the consent and the plan on its timeline.
        page.goto(reverse("patients:detail", args=[patient.pk]))
        expect(page.get_by_role("heading", level=1)).to_have_text(patient.full_name)
        timeline = page.get_by_role("region", name="Timeline")
        expect(timeline).to_contain_text("Session 1 charted")
        expect(timeline).to_contain_text("Consent")
        screenshot(page, "patient-chart")
        assert_accessible(page)
