"""Staff log in through the real form and use the pages in Chromium."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval.accounts.two_factor import usable_code
from skinterval.e2e.browser import (
    OTP_CODE_LABEL,
    assert_accessible,
    log_in,
    screenshot,
)
from skinterval.testing import PASSWORD, totp_device_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stable_world_a(world_a):
    """Clinic A with fixed chart numbers, so that screenshots do not change from
    run to run with the order the suite's builders were called in."""
    for n, patient in enumerate((world_a.patient, world_a.other_patient), start=1):
        patient.chart_number = f"A-{n:04d}"
        patient.save(update_fields=["chart_number"])
    return world_a


def test_alice_logs_in_and_lands_on_her_clinic_overview(page: Page, stable_world_a):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    screenshot(page, "login")
    assert_accessible(page)

    device = totp_device_for(stable_world_a.practitioner.user)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Staff pass the two-factor check next (decision 0017).
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor check")
    screenshot(page, "two-factor-check")
    assert_accessible(page)
    page.get_by_label(OTP_CODE_LABEL).fill(usable_code(device))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(re.escape(reverse("clinics:overview")) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic A")
    expect(page.get_by_role("heading", name="A main site")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Alice")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Patients")
    # htmx is served from node_modules through staticfiles and sends the CSRF token.
    assert page.evaluate("() => typeof window.htmx") == "object"
    hx_headers = page.locator("body").get_attribute("hx-headers") or ""
    assert '"X-CSRFToken": "' in hx_headers
    screenshot(page, "clinic-overview")
    assert_accessible(page)


def test_a_wrong_password_is_refused_on_the_form(page: Page, stable_world_a):
    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:login"))))
    assert_accessible(page)


def test_charlie_never_sees_clinic_a(page: Page, stable_world_a, world_b):
    log_in(page, "charlie")

    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic B")
    body = page.locator("body")
    expect(body).not_to_contain_text("Clinic A")
    expect(body).not_to_contain_text("A main site")

    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    expect(body).to_contain_text("PatientB")
    expect(body).not_to_contain_text("PatientA")

    response = page.goto(reverse("patients:detail", args=[stable_world_a.patient.pk]))
    assert response is not None
    assert response.status == 404
    expect(body).not_to_contain_text("PatientA")


def test_patient_search_through_the_real_form(page: Page, stable_world_a, world_b):
    log_in(page, "alice")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Patients"
    ).click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)

    search = page.get_by_role("search")
    search.get_by_label("Name or chart number").fill("secondary")
    search.get_by_role("button", name="Search").click()

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Secondary, PatientA")
    expect(rows.first).to_contain_text("A-0002")
    # The search is POSTed: names never land in the URL.
    assert "secondary" not in page.url.lower()
    expect(page.get_by_label("Name or chart number")).to_have_value("secondary")
    screenshot(page, "patient-search")
    assert_accessible(page)

    search.get_by_label("Name or chart number").fill("PatientB")
    search.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No patients found.")
