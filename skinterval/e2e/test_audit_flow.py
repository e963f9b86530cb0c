"""Alice opens a patient's chart; the clinic's owner finds that in the audit log."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A fixed id, so that the screenshot does not change from run to run.
PATIENT_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")


def test_the_owner_finds_who_opened_a_chart(page: Page, world_a):
    patient = t.make_patient(
        world_a.clinic,
        id=PATIENT_ID,
        given_name="Robin",
        family_name="Audit",
        chart_number="A-0099",
    )
    with time_machine.travel(MONDAY, tick=False):
        log_in(page, "alice")
        page.goto(reverse("patients:detail", args=[patient.pk]))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Audit")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_load_state()

        log_in(page, "owner-a")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Audit log"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
        expect(page.get_by_role("status")).to_contain_text("Intact.")
        page.get_by_label("Who").select_option(label="Alice (Practitioner)")
        page.get_by_label("Action").select_option(label="Viewed")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()

        table = page.get_by_role("table")
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Alice (Practitioner)")
        expect(rows.first).to_contain_text(f"Patient record {PATIENT_ID}")
        expect(rows.first).to_contain_text("2027-01-04 08:00:00")  # London: UTC
        expect(page.locator("body")).not_to_contain_text("Robin")
        expect(page.get_by_label("Who")).to_have_value(
            f"user:{world_a.practitioner.user_id}"
        )
        screenshot(page, "audit-log")
        assert_accessible(page)

        # The row's link opens the chart (itself recorded).
        rows.first.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Audit")
