"""Pat, two days after session 1, uses the patient portal: her plan in plain
words, today's aftercare, booking session 2 inside its window, a check-in whose
severe redness raises an alert on Alice's dashboard, her progress, the photo
consent and her data. Alice then reviews the check-in and holds session 2."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.models import Consent, SignedVia
from skinterval.charting.services import sign_consent
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot
from skinterval.outcomes.models import CheckIn, SessionHold
from skinterval.outcomes.services import submit_check_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SESSION_1_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEDNESDAY = datetime(2027, 1, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def pat_after_session_1(clinic_a, pat):
    """Pat's approved plan, with session 1 done on Monday at 09:00."""
    world = clinic_a
    with time_machine.travel(MONDAY, tick=False):
        plan = t.make_plan(world.patient, world.practitioner, approve=True)
        sign_consent(
            patient=world.patient,
            kind="microneedling",
            text_version=CURRENT["microneedling"].version,
            signed_name=world.patient.full_name,
            witnessed_by=world.front_desk,
            now=MONDAY,
        )
        chart = t.make_charted_session(
            world,
            plan,
            1,
            SESSION_1_AT,
            checked_in_at=SESSION_1_AT,
            completed_at=SESSION_1_AT + timedelta(minutes=45),
        )
    # Tuesday evening, day 1: moderate redness, as expected.
    submit_check_in(
        patient=world.patient,
        appointment=chart.appointment,
        answers=CheckInAnswers(Severity.MODERATE, Severity.MILD, Severity.MILD, 3),
        now=datetime(2027, 1, 5, 19, 0, tzinfo=UTC),
    )
    return plan


def test_pat_uses_the_portal_and_alice_sees_her_check_in(
    page: Page, pat_after_session_1, clinic_a
):
    plan = pat_after_session_1
    patient = clinic_a.patient
    portal = page.get_by_role("navigation", name="My treatment")
    with time_machine.travel(WEDNESDAY, tick=True):
        log_in(page, "pat")

        # Home: the plan's headline and today's aftercare, day 2.
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello, PatientA")
        aftercare = page.get_by_role("region", name="Today's aftercare")
        expect(aftercare).to_contain_text("Day 2 after your session 1.")
        expect(aftercare).to_contain_text(
            "Avoid strenuous exercise, sauna and hot tubs"
        )
        screenshot(page, "portal-home")
        assert_accessible(page)

        # My plan, in plain words.
        portal.get_by_role("link", name="My plan").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My plan")
        expect(page.get_by_text("4 sessions are planned")).to_be_visible()
        sessions = page.get_by_role("table", name="Each session's window")
        expect(sessions.get_by_role("row").nth(2)).to_contain_text("Mon 1 Feb 2027")
        screenshot(page, "portal-plan")
        assert_accessible(page)

        # Today's aftercare.
        portal.get_by_role("link", name="Today's aftercare").click()
        expect(page.get_by_text("Day 2 after your session 1.")).to_be_visible()
        expect(page.get_by_text("No make-up for 24 hours.")).to_have_count(0)
        screenshot(page, "portal-aftercare")
        assert_accessible(page)

        # Book session 2 at the best time inside its window.
        portal.get_by_role("link", name="My appointments").click()
        page.get_by_role("link", name="Book session 2").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Book session 2")
        expect(
            page.get_by_text("Your plan's window for this session is")
        ).to_contain_text("Monday 1 February 2027 to Monday 15 February 2027")
        screenshot(page, "portal-book")
        assert_accessible(page)
        # A day outside the window is refused next to the field.
        page.get_by_label("Another day", exact=True).fill("2027-02-20")
        page.get_by_role("button", name="Show free times").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "Session 2 can only be booked between Monday 1 February 2027"
        )
        expect(page.get_by_label("Another day", exact=True)).to_have_value("2027-02-20")
        assert_accessible(page)
        page.get_by_role("button", name="Choose Mon 1 Feb, 09:00").click()
        expect(
            page.get_by_text("Session 2 is booked for Monday 1 February 2027, 09:00.")
        ).to_be_visible()
        booked = Appointment.objects.get(plan_session=plan.sessions.get(number=2))
        assert booked.status == AppointmentStatus.BOOKED
        expect(page.get_by_role("link", name="Move session 2")).to_be_visible()
        screenshot(page, "portal-appointments")
        assert_accessible(page)

        # A check-in about session 1: severe redness.
        portal.get_by_role("link", name="Check-ins").click()
        page.get_by_role("link", name="Check in about session 1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "How is your skin after session 1?"
        )
        page.get_by_role("group", name="Redness").get_by_label("Severe").check()
        page.get_by_role("group", name="Swelling").get_by_label("Mild").check()
        page.get_by_role("group", name="Itching").get_by_label("None").check()
        page.get_by_role("group", name=re.compile("^Pain")).get_by_label(
            "4", exact=True
        ).check()
        page.get_by_label("Anything unexpected? (optional)").fill(
            "The left cheek is still very red."
        )
        page.get_by_label("Anything unexpected? (optional)").blur()
        screenshot(page, "portal-check-in")
        assert_accessible(page)
        page.get_by_role("button", name="Send to the clinic").click()
        expect(page.get_by_text("marked for a practitioner to look at")).to_be_visible()
        check_in = CheckIn.objects.filter(patient=patient).latest("submitted_at")
        assert check_in.needs_attention
        assert check_in.attention_reasons == ["severe_redness", "unexpected"]

        # My progress: the check-in drawn, no scores invented.
        portal.get_by_role("link", name="My progress").click()
        expect(
            page.get_by_role("img", name="Redness, swelling and itching")
        ).to_be_visible()
        expect(page.get_by_text("after your first scored visit")).to_be_visible()
        screenshot(page, "portal-progress")
        assert_accessible(page)

        # The photo consent, signed in the portal.
        portal.get_by_role("link", name="Consent").click()
        assert_accessible(page)
        page.get_by_role("link", name="Read and sign: clinical photographs").click()
        page.get_by_label("Clinical record only").check()
        page.get_by_label("I have read this information").check()
        page.get_by_label("I agree, as set out above.").check()
        page.get_by_label("Your full name").fill(patient.full_name)
        page.get_by_label("Your full name").blur()
        screenshot(page, "portal-consent")
        assert_accessible(page)
        page.get_by_role("button", name="Sign").click()
        expect(page.get_by_text("your consent is signed and recorded")).to_be_visible()
        photos = Consent.objects.get(patient=patient, kind="photos")
        assert photos.signed_via == SignedVia.PORTAL
        assert photos.witnessed_by is None

        # My data: download it; the account-closure request form.
        portal.get_by_role("link", name="My data").click()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download my data").click()
        data = json.loads(download.value.path().read_text(encoding="utf-8"))
        assert data["patient"]["id"] == str(patient.pk)
        assert len(data["check_ins"]) == 2
        screenshot(page, "portal-data")
        assert_accessible(page)

        page.get_by_role("button", name="Log out").click()

        # Alice: the alert on her dashboard, then the check-in itself.
        log_in(page, "alice")
        page.goto(reverse("clinics:dashboard"))
        look = page.get_by_role("region", name="Needs a look")
        expect(look).to_contain_text("Patients' check-ins to review")
        expect(look).to_contain_text("session 1, day 2: Severe redness")
        look.get_by_role("link", name=patient.full_name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Check-in from {patient.full_name}"
        )
        expect(page.get_by_text("The left cheek is still very red.")).to_be_visible()
        page.get_by_label("Reason for the hold").fill("See the redness first.")
        page.get_by_label("Reason for the hold").blur()
        screenshot(page, "check-in-review")
        assert_accessible(page)
        page.get_by_role("button", name="Hold session 2").click()
        expect(
            page.get_by_text("Session 2 is on hold (by Alice, 6 Jan)")
        ).to_be_visible()
        page.get_by_role("button", name="Mark as reviewed").click()
        expect(page.get_by_text("Check-in marked as reviewed.")).to_be_visible()
        assert_accessible(page)
        hold = SessionHold.objects.get()
        assert hold.plan_session == plan.sessions.get(number=2)
        page.goto(reverse("clinics:dashboard"))
        expect(page.get_by_role("region", name="Needs a look")).not_to_contain_text(
            "check-ins to review"
        )
