"""The staff screens on a tablet: nothing wider than the screen, so nothing is
cut off or needs sideways scrolling (portrait, 768 × 1024)."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page

from skinterval import testing as t
from skinterval.e2e.browser import MONDAY, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_main_screens_fit_a_tablet_in_portrait(page: Page, clinic_a):
    page.set_viewport_size({"width": 768, "height": 1024})
    with time_machine.travel(MONDAY, tick=True):
        plan = t.make_plan(clinic_a.patient, clinic_a.practitioner, approve=True)
        log_in(page, "alice")
        screens = {
            "dashboard": reverse("clinics:dashboard"),
            "patients": reverse("patients:list"),
            "patient chart": reverse("patients:detail", args=[clinic_a.patient.pk]),
            "plan": reverse("plans:detail", args=[plan.pk]),
            "book the series": reverse("appointments:book_series", args=[plan.pk]),
            "calendar": reverse("calendar:page"),
            "optimizer": reverse("calendar:optimize"),
        }
        too_wide = {}
        for name, url in screens.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 768:
                too_wide[name] = width
        page.goto(reverse("calendar:page"))
        page.wait_for_load_state("networkidle")
        screenshot(page, "tablet-calendar")
    assert not too_wide, f"Wider than a 768-pixel tablet: {too_wide}"
