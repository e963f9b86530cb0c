"""After a scored visit the engine re-plans; a practitioner accepts or declines.

The plan (replan_world.py): 4 sessions 28-42 days apart from 4 Jan 2027, cheeks
1.0-1.5 mm, baseline Goodman & Baron grade 3. Sessions are charted at 1.0 mm.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from skinterval import testing as t
from skinterval.domain.render import plan_from_dict
from skinterval.domain.replan import replan
from skinterval.outcomes.models import SessionHold
from skinterval.plans.models import PlanStatus, ProposalStatus, ReplanProposal
from skinterval.plans.replanning import (
    InvalidDecision,
    ProposalRefused,
    accept_replan_proposal,
    decline_replan_proposal,
    on_score_recorded,
    propose_replan,
)
from skinterval.plans.services import (
    OverrideRefused,
    approve_plan,
    check_overridable,
)
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    grade,
    review_visit,
    session,
    treated_plan,
)

D2 = FIRST_ON + timedelta(days=28)
D3 = D2 + timedelta(days=28)
D4 = D3 + timedelta(days=28)
NOW = at(D2 + timedelta(days=1))


def scored(world, appointment, value, **kw):
    """Record a grade at the visit, then the seam record_score calls."""
    return on_score_recorded(grade(world, appointment, value, **kw))


def pending(plan):
    return ReplanProposal.objects.filter(plan=plan, status=ProposalStatus.PENDING)


def test_an_uneventful_scored_session_proposes_nothing(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON)
    assert scored(world_a, visit, 3) is None
    assert not ReplanProposal.objects.exists()


def test_a_baseline_score_does_not_re_plan(world_a):
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON, reaction="pih")
    assert on_score_recorded(grade(world_a, None, 3, FIRST_ON)) is None


def test_pih_proposes_a_lower_depth_and_a_longer_interval(world_a):
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON)
    visit = session(world_a, plan, 2, D2, reaction="pih")
    proposal = scored(world_a, visit, 3)
    assert proposal is not None
    assert proposal.kind == "lower_depth"
    assert proposal.status == ProposalStatus.PENDING
    assert proposal.as_of == D2
    changes = {c["kind"]: c for c in proposal.details["changes"]}
    assert set(changes) == {"lower_depth", "lengthen_interval"}
    assert changes["lower_depth"]["after"] == [0.75, 0.75]  # 1.0 mm - 0.25 step
    assert changes["lengthen_interval"]["before"] == [28, 28, 42]
    assert changes["lengthen_interval"]["after"] == [42, 42, 56]
    ids = {e for r in proposal.reasons for e in r["evidence"]}
    assert "policy:reaction_interval_extension_days" in ids
    assert set(proposal.details["citations"]) == ids  # every cited id resolves
    # The approved plan itself is not touched.
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.plan["interval_days"]["target"] == 28


def test_an_infection_proposes_a_hold(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="infection")
    proposal = scored(world_a, visit, 3)
    assert proposal.kind == "hold"
    assert [c["kind"] for c in proposal.details["changes"]] == [
        "hold",
        "lower_depth",
        "lengthen_interval",
    ]


def test_accepting_makes_a_new_draft_version_and_holds_the_next_session(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="infection")
    proposal = scored(world_a, visit, 3)
    old_plan_json = copy.deepcopy(plan.plan)

    new = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )

    assert new.version == plan.version + 1
    assert new.status == PlanStatus.DRAFT
    assert new.derived_from_id == plan.pk
    assert new.requires_physician_review  # a physician approves the held series
    assert new.plan["interval_days"] == {"min": 42, "target": 42, "max": 56}
    assert new.plan["areas"][0]["depth_mm"] == {"min": 0.75, "max": 0.75}
    rows = list(new.sessions.order_by("number").values_list("number", "earliest_on"))
    assert rows[0] == (2, FIRST_ON + timedelta(days=42))
    assert [n for n, _ in rows] == [2, 3, 4]
    assert "policy:reaction_depth_step_mm" in new.plan["evidence"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED  # until the new version is approved
    assert plan.plan == old_plan_json
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.decided_by == world_a.practitioner
    assert proposal.new_plan == new
    hold = SessionHold.objects.get()
    assert hold.plan_session == plan.sessions.get(number=2)
    assert hold.released_at is None

    # Approving as usual supersedes the old version.
    approve_plan(plan=new, approved_by=world_a.practitioner, now=NOW)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED


def test_a_proposal_is_decided_once(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    proposal = scored(world_a, visit, 3)
    accept_replan_proposal(proposal=proposal, accepted_by=world_a.practitioner, now=NOW)
    with pytest.raises(ProposalRefused):
        accept_replan_proposal(
            proposal=proposal, accepted_by=world_a.practitioner, now=NOW
        )
    with pytest.raises(ProposalRefused):
        decline_replan_proposal(
            proposal=proposal, declined_by=world_a.practitioner, reason="x", now=NOW
        )


def test_only_the_clinics_practitioners_decide(world_a, world_b):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    proposal = scored(world_a, visit, 3)
    for member in (world_a.front_desk, world_b.practitioner):
        with pytest.raises(PermissionDenied):
            accept_replan_proposal(proposal=proposal, accepted_by=member, now=NOW)
        with pytest.raises(PermissionDenied):
            decline_replan_proposal(
                proposal=proposal, declined_by=member, reason="no", now=NOW
            )


def test_declining_needs_a_reason_and_keeps_the_plan(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    proposal = scored(world_a, visit, 3)
    with pytest.raises(InvalidDecision) as refused:
        decline_replan_proposal(
            proposal=proposal, declined_by=world_a.practitioner, reason="  ", now=NOW
        )
    assert "reason" in refused.value.errors
    row = decline_replan_proposal(
        proposal=proposal,
        declined_by=world_a.practitioner,
        reason="Mild and settling; keep the interval.",
        now=NOW,
    )
    assert row.status == ProposalStatus.DECLINED
    assert row.decline_reason == "Mild and settling; keep the interval."
    assert plan.patient.plans.count() == 1


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_a_decided_reaction_is_not_proposed_again(decision, world_a):
    """Neither an accepted lengthening added twice nor a declined one re-proposed."""
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    proposal = scored(world_a, visit, 3)
    if decision == "accept":
        plan = accept_replan_proposal(
            proposal=proposal, accepted_by=world_a.practitioner, now=NOW
        )
        approve_plan(plan=plan, approved_by=world_a.practitioner, now=NOW)
    else:
        decline_replan_proposal(
            proposal=proposal, declined_by=world_a.practitioner, reason="no", now=NOW
        )
    # Another area scored at the same visit runs the re-plan again.
    assert scored(world_a, visit, 3, area="forehead") is None
    assert not pending(plan).exists()
    if decision == "accept":
        assert plan.plan["interval_days"]["target"] == 42  # not 56


def test_no_proposal_while_an_accepted_version_awaits_approval(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    proposal = scored(world_a, visit, 3)
    accept_replan_proposal(proposal=proposal, accepted_by=world_a.practitioner, now=NOW)
    later = session(world_a, plan, 2, D2 + timedelta(days=14), reaction="pih")
    assert scored(world_a, later, 3) is None


def test_the_same_re_plan_twice_keeps_one_proposal(world_a):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="pih")
    first = scored(world_a, visit, 3)
    again = propose_replan(plan=plan, as_of=FIRST_ON)
    assert again == first
    assert ReplanProposal.objects.count() == 1


def test_a_newer_re_plan_replaces_the_pending_one(world_a):
    plan = treated_plan(world_a)
    first = scored(world_a, session(world_a, plan, 1, FIRST_ON, reaction="pih"), 3)
    second = scored(world_a, session(world_a, plan, 2, D2), 3)
    first.refresh_from_db()
    assert first.status == ProposalStatus.SUPERSEDED
    # Session 2 was uneventful: only the depth lowered after session 1 remains.
    assert second.kind == "lower_depth"
    assert second.details["last_session"]["on"] == D2.isoformat()
    assert list(pending(plan)) == [second]


def _four_sessions(world, plan, grades=(3, 3, 3, 3), last_reaction="expected"):
    visits = [
        session(
            world,
            plan,
            n,
            FIRST_ON + timedelta(days=28 * (n - 1)),
            reaction=last_reaction if n == 4 else "expected",
        )
        for n in (1, 2, 3, 4)
    ]
    for visit, value in zip(visits, grades, strict=True):
        scored(world, visit, value)
    return visits


def test_no_response_is_not_called_before_three_months(world_a):
    """Four sessions, grade 3 throughout: a review 89 days after the last session
    proposes nothing; at 90 days (the rules' response_judge_after_days) the
    series moves to review."""
    plan = treated_plan(world_a)
    _four_sessions(world_a, plan)
    assert not ReplanProposal.objects.exists()

    early = scored(world_a, review_visit(world_a, D4 + timedelta(days=89)), 3)
    assert early is None
    assert not ReplanProposal.objects.exists()

    proposal = scored(world_a, review_visit(world_a, D4 + timedelta(days=90)), 3)
    assert proposal.kind == "review"
    assert proposal.details["response"] == "stalled"
    assert (
        proposal.details["measure"]["latest_on"]
        == (D4 + timedelta(days=90)).isoformat()
    )
    assert any("3 months" in r["text"] for r in proposal.reasons)
    new = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )
    assert new.requires_physician_review
    assert not new.sessions.exists()  # the series was complete


def test_too_early_is_said_with_a_reaction(world_a):
    """No improvement, and an infection at the last session: the proposal holds
    the series and explains that the response cannot be judged yet."""
    plan = treated_plan(world_a)
    _four_sessions(world_a, plan, last_reaction="infection")
    proposal = ReplanProposal.objects.get(status=ProposalStatus.PENDING)
    assert proposal.kind == "hold"
    assert proposal.details["response"] == "too_early"
    assert any("cannot be judged before" in r["text"] for r in proposal.reasons)
    assert "review" not in [c["kind"] for c in proposal.details["changes"]]


def test_improvement_proposes_nothing(world_a):
    plan = treated_plan(world_a)
    _four_sessions(world_a, plan, grades=(3, 3, 2, 2))
    assert scored(world_a, review_visit(world_a, D4 + timedelta(days=120)), 2) is None


def test_a_stall_adds_an_adjunct_the_plan_lacks(world_a):
    plan = treated_plan(
        world_a,
        assessment={
            **t.SIMPLE_ASSESSMENT,
            "scars": [{"area": "cheeks", "kind": "boxcar", "grade": 3}],
        },
    )
    # A version made when PRP was not suggested (older rules, say).
    plan.plan = {**plan.plan, "adjuncts": []}
    plan.save(update_fields=["plan"])
    _four_sessions(world_a, plan)
    proposal = scored(world_a, review_visit(world_a, D4 + timedelta(days=95)), 3)
    kinds = [c["kind"] for c in proposal.details["changes"]]
    assert kinds == ["review", "add_adjunct"]
    new = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )
    assert [j["code"] for j in new.plan["adjuncts"]] == ["prp"]
    assert set(new.plan["adjuncts"][0]["evidence"]) <= set(new.plan["evidence"])


def test_accepting_a_stop_ends_the_series(world_a):
    """The app records no goal, so the engine's "goal reached" is reached only
    through `replan(goal_score=...)`; a proposal carrying it is accepted like any
    other and leaves no session to book."""
    from skinterval.domain.assessment import parse_assessment
    from skinterval.plans import replanning

    plan = treated_plan(world_a)
    visits = [session(world_a, plan, 1, FIRST_ON), session(world_a, plan, 2, D2)]
    charts = replanning.series_charts(plan, D2)
    done = replanning.sessions_done(charts, None, set())
    done[-1] = type(done[-1])(done[-1].on, done[-1].areas, None, 1.0)
    result = replan(
        plan_from_dict(plan.plan),
        parse_assessment(plan.assessment),
        done,
        as_of=D2,
        baseline_score=3,
        goal_score=1,
    )
    from skinterval.domain.replan_changes import plan_changes

    changes = plan_changes(plan_from_dict(plan.plan), result)
    details = replanning._details(
        result, changes, charts[-1], None, replanning._rules()
    )
    proposal = ReplanProposal.objects.create(
        clinic=world_a.clinic,
        plan=plan,
        kind=changes[0].kind,
        details=details,
        reasons=details["replan"]["reasons"],
        as_of=D2,
    )
    assert proposal.kind == "stop"
    new = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )
    assert not new.sessions.exists()
    assert new.plan["sessions"]["planned"] == len(visits)


def test_a_re_planned_version_cannot_be_overridden(world_a):
    plan = treated_plan(world_a)
    proposal = scored(world_a, session(world_a, plan, 1, FIRST_ON, reaction="pih"), 3)
    new = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )
    with pytest.raises(OverrideRefused, match="re-plan"):
        check_overridable(new)


def test_a_plan_not_approved_is_not_re_planned(world_a):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    assert propose_replan(plan=plan, as_of=FIRST_ON) is None


def test_an_accepted_lengthening_is_not_added_again_by_a_later_re_plan(world_a):
    """PIH at session 2, accepted (42-56 days); no session since, and no
    improvement 90 days on: the review proposal keeps 42 days between the
    remaining sessions (not 56)."""
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON)
    proposal = scored(world_a, session(world_a, plan, 2, D2, reaction="pih"), 3)
    v2 = accept_replan_proposal(
        proposal=proposal, accepted_by=world_a.practitioner, now=NOW
    )
    approve_plan(plan=v2, approved_by=world_a.practitioner, now=NOW)
    review_on = D2 + timedelta(days=90)
    review = scored(world_a, review_visit(world_a, review_on), 3)
    assert review.kind == "review"
    assert review.details["replan"]["interval_days"]["target"] == 42
    third, fourth = review.details["replan"]["schedule"]
    assert third["target_on"] == review_on.isoformat()  # overdue: from today
    assert fourth["target_on"] == (review_on + timedelta(days=42)).isoformat()


def test_recording_a_score_at_a_visit_proposes_by_itself(world_a):
    """record_score calls the seam: no other step is needed."""
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="infection")
    grade(world_a, visit, 3)
    assert pending(plan).get().kind == "hold"


def test_a_plan_the_engine_cannot_read_does_not_lose_the_score(world_a, caplog):
    plan = treated_plan(world_a)
    visit = session(world_a, plan, 1, FIRST_ON, reaction="infection")
    plan.plan = {**plan.plan, "interval_days": {}}  # damaged
    plan.save(update_fields=["plan"])
    score = grade(world_a, visit, 3)
    assert score.pk is not None
    assert not ReplanProposal.objects.exists()
    assert f"Re-planning plan {plan.pk} after score {score.pk} failed" in caplog.text
    assert world_a.patient.full_name not in caplog.text
