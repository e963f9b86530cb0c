"""Re-plan proposals on the staff dashboard: shown with reasons and sources,
accepted or declined by a practitioner, refused to everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from skinterval.plans.models import PlanStatus, ProposalStatus, ReplanProposal
from skinterval.plans.replanning import on_score_recorded
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    grade,
    session,
    treated_plan,
)

DASHBOARD = reverse("clinics:dashboard")


@pytest.fixture
def proposal(world_a):
    """PIH at session 1: lower the depth, lengthen the interval."""
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    return on_score_recorded(grade(world_a, visit, 3))


def test_the_dashboard_shows_the_proposal_with_reasons_and_sources(
    proposal, world_a, as_user
):
    text = as_user(world_a.practitioner.user).get(DASHBOARD).content.decode()
    assert "Re-plan proposals" in text
    assert world_a.patient.full_name in text
    assert "Lower the needle depth" in text  # the headline
    assert "Needle depth, cheeks: 1–1.5 mm → 0.75–0.75 mm" in text
    assert "28–42 days, aiming for 28 → 42–56 days, aiming for 42" in text
    assert "next interval lengthened by 14 days" in text  # a reason
    # Citations are readable and linked from the reasons.
    anchor = f"rp{proposal.pk}-ev-policyreaction_interval_extension_days"
    assert f'href="#{anchor}"' in text
    assert f'id="{anchor}"' in text
    assert "Skinterval default policy &#x27;reaction_interval_extension_days&#x27;" in (
        text
    )
    assert "Accept: make a new version to approve" in text
    assert f'id="id_proposal-{proposal.pk}-reason"' in text


def test_front_desk_sees_the_proposal_but_cannot_decide(proposal, world_a, as_user):
    client = as_user(world_a.front_desk.user)
    text = client.get(DASHBOARD).content.decode()
    assert "Lower the needle depth" in text
    assert "Accept: make a new version to approve" not in text
    assert "A practitioner accepts or declines this proposal." in text
    url = reverse("plans:replan_accept", args=[proposal.pk])
    assert client.post(url).status_code == 403
    decline = reverse("plans:replan_decline", args=[proposal.pk])
    field = f"proposal-{proposal.pk}-reason"
    assert client.post(decline, {field: "x"}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_accepting_leads_to_the_new_version_to_approve(proposal, world_a, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(
        reverse("plans:replan_accept", args=[proposal.pk]), follow=True
    )
    proposal.refresh_from_db()
    new = proposal.new_plan
    assert proposal.status == ProposalStatus.ACCEPTED
    assert new.status == PlanStatus.DRAFT
    assert response.redirect_chain[-1][0] == reverse("plans:detail", args=[new.pk])
    text = response.content.decode()
    assert "carries the re-plan" in text
    assert "Approve this plan" in text
    assert "Override this plan" not in text  # decision 0013
    # Gone from the dashboard.
    assert "Lower the needle depth" not in client.get(DASHBOARD).content.decode()


def test_declining_without_a_reason_says_so_next_to_the_field(
    proposal, world_a, as_user
):
    client = as_user(world_a.practitioner.user)
    url = reverse("plans:replan_decline", args=[proposal.pk])
    field = f"proposal-{proposal.pk}-reason"
    response = client.post(url, {field: "   "})
    assert response.status_code == 422
    text = response.content.decode()
    assert "Say why the proposal is declined." in text
    assert 'role="alert"' in text
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING

    too_long = "x" * 2001
    response = client.post(url, {field: too_long})
    assert response.status_code == 422
    assert too_long in response.content.decode()  # nothing typed is lost

    response = client.post(url, {field: "Settling; keep the plan."}, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECLINED
    assert proposal.decline_reason == "Settling; keep the plan."
    page = client.get(reverse("plans:replan_proposal", args=[proposal.pk]))
    assert "Settling; keep the plan." in page.content.decode()


def test_a_decided_proposal_is_not_decided_again(proposal, world_a, as_user):
    client = as_user(world_a.practitioner.user)
    client.post(reverse("plans:replan_accept", args=[proposal.pk]))
    response = client.post(
        reverse("plans:replan_accept", args=[proposal.pk]), follow=True
    )
    assert "already been accepted" in response.content.decode()
    new = ReplanProposal.objects.get().new_plan
    assert new is not None
    assert new.version == 2
    assert proposal.plan.patient.plans.count() == 2


def test_another_clinic_gets_not_found(proposal, world_b, as_user):
    client = as_user(world_b.practitioner.user)
    assert (
        client.get(reverse("plans:replan_proposal", args=[proposal.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("plans:replan_accept", args=[proposal.pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("plans:replan_decline", args=[proposal.pk]),
            {f"proposal-{proposal.pk}-reason": "x"},
        ).status_code
        == 404
    )
    assert "Lower the needle depth" not in client.get(DASHBOARD).content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_the_plan_page_links_to_its_pending_proposal(proposal, world_a, as_user):
    page = as_user(world_a.front_desk.user).get(
        reverse("plans:detail", args=[proposal.plan_id])
    )
    text = page.content.decode()
    assert reverse("plans:replan_proposal", args=[proposal.pk]) in text
    assert "Re-plan proposal awaiting a decision: Lower the needle depth" in text
