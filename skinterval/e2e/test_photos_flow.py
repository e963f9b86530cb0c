"""Alice adds a clinical photo from the patient's chart and compares it with the
baseline; a file that is not a photo is refused next to the field; Pat sees her
own photos in the portal. Every photo shown is written to the audit log."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval.audit.models import AuditEvent
from skinterval.demo.photos import demo_image
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot
from skinterval.photos.models import Photo
from skinterval.photos.tests.factories import make_photo, sign_photo_consent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def baseline(clinic_a, pat, settings, tmp_path):
    """Pat's photo consent, and two baseline photos taken nine weeks ago."""
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"
    sign_photo_consent(clinic_a, now=MONDAY - timedelta(days=63))
    for n, view in enumerate(("front", "left_45")):
        make_photo(
            clinic_a,
            view=view,
            taken_on=date(2026, 11, 2),
            now=MONDAY - timedelta(days=63),
            data=demo_image(seed=n, label=f"cheeks, {view}, baseline"),
        )
    return clinic_a


def one_photo_at_a_time(page: Page) -> None:
    """The test server shares one in-memory SQLite database between its threads,
    which refuses a second write at once instead of waiting its turn (as the
    file-backed SQLite of the demo and PostgreSQL do). Each photo request writes
    its audit row and the session, so the browser's photo requests are queued
    here and passed to the server one at a time. (Playwright runs route handlers
    on one thread, switching between them while one waits: a flag is enough.)"""
    queue: list[Any] = []
    busy = False

    def handle(route: Any) -> None:
        nonlocal busy
        queue.append(route)
        if busy:
            return
        busy = True
        try:
            while queue:
                waiting = queue.pop(0)
                waiting.fulfill(response=waiting.fetch())
        finally:
            busy = False

    page.route(re.compile(r"/photos/[0-9a-f-]{36}/$"), handle)


def _images_loaded(page: Page) -> int:
    """How many <img> on the page have loaded (naturalWidth > 0)."""
    return page.evaluate(
        "() => [...document.images].filter(i => i.complete && i.naturalWidth > 0)"
        ".length"
    )


def test_alice_adds_a_photo_and_pat_sees_it(page: Page, baseline, tmp_path):
    world = baseline
    patient = world.patient
    later = tmp_path / "cheeks-front.jpg"
    later.write_bytes(demo_image(seed=7, label="cheeks, front, session 2"))
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("#!/bin/sh\necho not a photo\n")

    one_photo_at_a_time(page)
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "alice")
        page.goto(reverse("patients:detail", args=[patient.pk]))
        section = page.get_by_role("region", name="Clinical photos")
        expect(section).to_contain_text("2 photos, 2 areas and views")
        section.get_by_role("link", name=re.compile("side by side")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Clinical photos of {patient.full_name}"
        )
        expect(page.get_by_text("Only the baseline so far").first).to_be_visible()

        page.wait_for_load_state("networkidle")  # photos fetched: one at a time
        page.get_by_role("link", name="Add a photo").click()
        expect(
            page.get_by_role("complementary", name="How to take the photo")
        ).to_contain_text("Clinic guidance")
        # A script renamed .jpg: refused next to the field, the rest kept.
        page.get_by_label("Photo", exact=True).set_input_files(str(not_a_photo))
        page.get_by_label("Area").select_option("cheeks")
        page.get_by_role("group", name="View").get_by_label("Front").check()
        page.get_by_label("Taken on").fill("2027-01-04")
        page.get_by_role("button", name="Add the photo").click()
        field = page.locator(".field.has-error")
        expect(field.get_by_role("alert")).to_contain_text("not a JPEG or PNG photo")
        expect(page.get_by_label("Area")).to_have_value("cheeks")
        expect(page.get_by_label("Taken on")).to_have_value("2027-01-04")
        assert Photo.objects.count() == 2
        screenshot(page, "photos-upload-refused")
        assert_accessible(page)

        page.get_by_label("Photo", exact=True).set_input_files(str(later))
        page.get_by_role("button", name="Add the photo").click()
        expect(page.get_by_text("Photo added to the patient's record.")).to_be_visible()
        assert Photo.objects.count() == 3

        front = page.get_by_role("region", name="Cheeks — Front")
        expect(
            front.get_by_role("img", name=re.compile("baseline, 2 Nov 2026"))
        ).to_be_visible()
        expect(
            front.get_by_role("img", name=re.compile("latest, 4 Jan 2027"))
        ).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert _images_loaded(page) == 3
        screenshot(page, "photos-compare")
        assert_accessible(page)

        # Each photo shown was fetched through the audited view.
        views = AuditEvent.objects.filter(action="view", object_type="photos.photo")
        assert views.count() >= 3
        assert set(views.values_list("actor_role", flat=True)) == {"practitioner"}

        page.get_by_role("button", name="Log out").click()
        log_in(page, "pat")
        page.goto(reverse("portal:home"))
        page.get_by_role("link", name="My photos").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My photos")
        expect(page.get_by_text("Your photo consent is in force")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert _images_loaded(page) == 3
        screenshot(page, "portal-photos")
        assert_accessible(page)
        assert views.filter(actor_role="patient").count() == 3
