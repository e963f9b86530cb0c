"""Alice scores Pat's cheeks at session 3 (a forgotten item is pointed out next
to it), sees the progress charts in Pat's chart; Pat adds her own 0-10 rating in
the portal and finds it drawn on "My progress"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.domain.scales import get_scale
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot
from skinterval.outcomes.models import Score, ScoreOccasion
from skinterval.outcomes.services import record_score
from skinterval.outcomes.tests.scoring import session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SESSIONS = [
    datetime(2027, 1, 4, 9, 0, tzinfo=UTC) + timedelta(days=28 * n) for n in range(3)
]
AFTER_SESSION_3 = SESSIONS[2] + timedelta(hours=2)


@pytest.fixture
def pats_course(clinic_a, pat):
    """Pat's plan with sessions 1-3 done; G&B scored at sessions 1 and 2, and
    her own rating after each."""
    world = clinic_a
    with time_machine.travel(MONDAY, tick=False):
        plan = t.make_plan(world.patient, world.practitioner, approve=True)
    visits = [
        session(world, plan, n, at, service_type=world.service)
        for n, at in enumerate(SESSIONS, start=1)
    ]
    zero = {item.item_id: 0 for item in get_scale("gb_quantitative").items}
    for visit, occasion, moderate, rating in (
        (visits[0], ScoreOccasion.BASELINE, 3, 4),
        (visits[1], ScoreOccasion.SESSION, 2, 5),
    ):
        common = {
            "patient": world.patient,
            "area": "cheeks",
            "occasion": occasion,
            "appointment": visit,
        }
        record_score(
            **common,
            scale="gb_quantitative",
            items={**zero, "moderate_atrophic": moderate, "shallow_dish_atrophy": 2},
            scored_by=world.practitioner,
            now=visit.ends_at,
        )
        record_score(
            **common,
            scale="patient_global_0_10",
            items={"rating": rating},
            scored_by=None,
            now=visit.ends_at + timedelta(days=1),
        )
    return visits


def test_alice_scores_a_session_and_pat_sees_her_progress(
    page: Page, pats_course, clinic_a
):
    third = pats_course[2]
    with time_machine.travel(AFTER_SESSION_3, tick=True):
        log_in(page, "alice")
        page.goto(reverse("appointments:detail", args=[third.pk]))
        page.get_by_role("link", name="Record scores for this visit").click()
        page.get_by_label("Scale").select_option("gb_quantitative")
        page.get_by_role("button", name="Use this scale").click()

        page.get_by_label("Area", exact=True).select_option("cheeks")
        for item in get_scale("gb_quantitative").items:
            if item.item_id != "papular":  # forgotten
                page.get_by_label(item.label, exact=True).select_option("0")
        page.get_by_label("B, moderate: moderately atrophic scars").select_option("1")
        page.get_by_role("button", name="Record this score").click()

        papular = page.locator(".field.has-error")
        expect(papular).to_have_count(1)
        expect(papular).to_contain_text("D, hyperplastic: papular scars")
        expect(papular).to_contain_text("This field is required.")
        expect(
            page.get_by_label("B, moderate: moderately atrophic scars")
        ).to_have_value("1")  # nothing typed is lost
        assert_accessible(page)
        screenshot(page, "score-form-error")

        page.get_by_label("D, hyperplastic: papular scars").select_option("0")
        page.get_by_role("button", name="Record this score").click()
        expect(page.locator(".messages")).to_contain_text(
            "Cheeks scored on Goodman & Baron quantitative."
        )
        assert Score.objects.filter(appointment=third).get().total == 2

        page.goto(reverse("patients:detail", args=[clinic_a.patient.pk]))
        scores = page.get_by_role("region", name="Scores and progress")
        chart = scores.get_by_role("img", name="Cheeks: Goodman & Baron quantitative")
        expect(chart).to_be_visible()
        scores.get_by_text(
            "The numbers for Cheeks: Goodman & Baron quantitative"
        ).click()
        expect(scores.locator("tr.score-point")).to_have_count(5)
        assert_accessible(page)
        screenshot(page, "patient-scores-chart")

        page.get_by_role("button", name="Log out").click()
        log_in(page, "pat")
        page.get_by_role("link", name="Rate your scars and see your progress").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Rate your scars")
        overall = page.get_by_role("region", name="One overall rating")
        overall.get_by_label("Area", exact=True).select_option("cheeks")
        overall.get_by_label(
            "Your overall rating of your scars (0 to 10)"
        ).select_option("7")
        overall.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
        mine = page.get_by_role("img", name="Cheeks: Patient global rating 0-10")
        expect(mine).to_be_visible()
        assert_accessible(page)
        screenshot(page, "portal-progress-scores")
    rating = Score.objects.filter(scale="patient_global_0_10").order_by("pk").last()
    assert rating is not None
    assert rating.items == {"rating": 7}
    assert rating.appointment == third
