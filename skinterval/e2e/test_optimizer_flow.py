"""Alice runs the calendar optimizer from the calendar and books its proposal."""

from __future__ import annotations

import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.appointments.models import Appointment
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_alice_runs_the_optimizer_and_books_the_proposal(page: Page, clinic_a):
    with time_machine.travel(MONDAY, tick=True):
        for patient in (clinic_a.patient, clinic_a.other_patient):
            t.make_plan(patient, clinic_a.practitioner, approve=True)
        sessions = sum(p.sessions.count() for p in clinic_a.patient.plans.all()) * 2

        log_in(page, "alice")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Calendar"
        ).click()
        page.get_by_role("link", name=re.compile("calendar optimizer")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Calendar optimizer")
        page.get_by_label("From").fill("2027-01-04")
        page.get_by_label("To").fill("2027-04-30")
        page.get_by_label("Search for").select_option("10")
        screenshot(page, "optimizer-start")
        assert_accessible(page)
        page.get_by_role("button", name="Find a better calendar").click()

        expect(
            page.get_by_role("heading", level=2, name="Changes proposed")
        ).to_be_visible(timeout=30_000)
        table = page.get_by_role("table", name="Proposed changes")
        expect(table.get_by_role("row")).to_have_count(sessions + 1)
        expect(table).to_contain_text("PatientA Primary")
        screenshot(page, "optimizer-proposal")
        assert_accessible(page)

        page.get_by_role("button", name=f"Book these {sessions} changes").click()
        expect(
            page.get_by_text(f"{sessions} appointments booked or moved.")
        ).to_be_visible()
        expect(
            page.get_by_role("heading", level=2, name="Changes booked")
        ).to_be_visible()
        assert (
            Appointment.objects.filter(plan_session__isnull=False).count() == sessions
        )
