"""Two-factor set-up and the lockout page, in Chromium: what a new staff member
sees the first time, and what someone who keeps mistyping the password sees."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from skinterval.e2e.browser import OTP_CODE_LABEL, assert_accessible
from skinterval.testing import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _password(page: Page, username: str, password: str) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_new_staff_member_sets_up_the_app_then_gets_in(page: Page, world_a):
    _password(page, "alice", PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor login")
    expect(
        page.get_by_role("img", name="QR code for your authenticator app")
    ).to_be_visible()
    assert_accessible(page)
    # What someone who cannot scan types into the app instead.
    secret = page.get_by_test_id("otp-secret").inner_text().replace(" ", "")
    code = f"{totp(b32decode(secret)):06d}"
    page.get_by_label(OTP_CODE_LABEL).fill(code)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(re.escape(reverse("clinics:overview")) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic A")


def test_a_wrong_code_is_refused_on_the_page(page: Page, world_a):
    from skinterval.testing import totp_device_for

    totp_device_for(world_a.practitioner.user)
    _password(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor check")
    page.get_by_label(OTP_CODE_LABEL).fill("000000")
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    assert_accessible(page)
    page.goto(reverse("patients:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor check")


def test_too_many_wrong_passwords_show_the_lockout_page(page: Page, world_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password(page, "bob", "not bob's password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    expect(page.get_by_role("alert")).to_contain_text("locked")
    assert_accessible(page)
