"""A practitioner decides a re-plan proposal on the dashboard, and reads the
clinic's outcome report, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval.e2e.browser import assert_accessible, log_in, screenshot
from skinterval.plans.models import ProposalStatus, ReplanProposal
from skinterval.plans.replanning import on_score_recorded
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    grade,
    review_visit,
    session,
    treated_plan,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

D2 = FIRST_ON + timedelta(days=28)


def _pih_at_session_2(world):
    plan = treated_plan(world)
    session(world, plan, 1, FIRST_ON)
    visit = session(world, plan, 2, D2, reaction="pih")
    return on_score_recorded(grade(world, visit, 3))


def test_a_re_plan_is_declined_without_a_reason_then_accepted(page: Page, clinic_a):
    with time_machine.travel(at(D2 + timedelta(days=1), hour=8), tick=True):
        proposal = _pih_at_session_2(clinic_a)
        log_in(page, "alice")
        page.goto(reverse("clinics:dashboard"))
        card = page.locator(
            "section", has=page.get_by_role("heading", name="Re-plan proposals")
        )
        expect(card).to_contain_text("Lower the needle depth")
        expect(card).to_contain_text("Interval between sessions")
        expect(
            card.get_by_role("link", name="policy:reaction_depth_step_mm").first
        ).to_be_visible()
        screenshot(page, "replan-proposal")
        assert_accessible(page)

        card.get_by_role("button", name="Decline").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "Say why the proposal is declined."
        )
        assert_accessible(page)

        page.get_by_role("button", name="Accept: make a new version to approve").click()
        expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
        expect(page.get_by_text("carries the re-plan")).to_be_visible()
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.ACCEPTED
        assert ReplanProposal.objects.count() == 1


def test_the_outcome_report_reads_with_its_charts(page: Page, clinic_a):
    with time_machine.travel(at(D2 + timedelta(days=100), hour=8), tick=True):
        _pih_at_session_2(clinic_a)
        grade(clinic_a, review_visit(clinic_a, D2 + timedelta(days=91)), 2)
        log_in(page, "alice")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Outcomes"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Outcome report")
        expect(page.get_by_role("img", name="By practitioner")).to_be_visible()
        expect(page.get_by_role("rowheader", name="Alice")).to_be_visible()
        screenshot(page, "outcome-report")
        assert_accessible(page)
