"""What a re-plan changes in an approved plan, and the next version with it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from skinterval.domain.assessment import AreaDepth, parse_assessment
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL, apply_protocol
from skinterval.domain.replan import SessionDone, replan
from skinterval.domain.replan_changes import (
    ADD_ADJUNCT,
    HOLD,
    LENGTHEN_INTERVAL,
    LOWER_DEPTH,
    REVIEW,
    STOP,
    PlanChange,
    change_from_dict,
    change_to_dict,
    plan_changes,
    replan_from_dict,
    replan_to_dict,
    with_changes,
)
from skinterval.domain.ruleset import load_rules
from skinterval.domain.tests.factories import data

A = parse_assessment(data(scars=[{"area": "cheeks", "kind": "rolling", "grade": 3}]))
PLAN = plan_series(A)  # 4 sessions, 28/28/42 days, cheeks up to 1.5 mm
CITATIONS = apply_protocol(load_rules(), DEFAULT_PROTOCOL).citations
CHEEKS = (AreaDepth("cheeks", 1.5),)
D1, D2 = date(2025, 3, 3), date(2025, 3, 31)


def test_an_uneventful_session_changes_nothing():
    r = replan(PLAN, A, [SessionDone(D1, CHEEKS, "expected")], as_of=D1)
    assert plan_changes(PLAN, r) == ()


# reaction -> the changes to decide
@pytest.mark.parametrize(
    ("reaction", "kinds"),
    [
        ("pih", [LOWER_DEPTH, LENGTHEN_INTERVAL]),
        ("herpes_outbreak", [LENGTHEN_INTERVAL]),
        ("infection", [HOLD, LOWER_DEPTH, LENGTHEN_INTERVAL]),
    ],
)
def test_an_adverse_reaction_proposes_its_changes(reaction, kinds):
    r = replan(PLAN, A, [SessionDone(D1, CHEEKS, reaction)], as_of=D1)
    changes = plan_changes(PLAN, r)
    assert [c.kind for c in changes] == kinds
    if LENGTHEN_INTERVAL in kinds:
        [iv] = [c for c in changes if c.kind == LENGTHEN_INTERVAL]
        assert iv.before == (28, 28, 42)
        assert iv.after == (42, 42, 56)
    if LOWER_DEPTH in kinds:
        [depth] = [c for c in changes if c.kind == LOWER_DEPTH]
        assert depth.subject == "cheeks"
        assert depth.after[1] == 1.25


def test_the_next_version_carries_the_changes_and_their_sources():
    r = replan(PLAN, A, [SessionDone(D1, CHEEKS, "infection")], as_of=D1)
    changes = plan_changes(PLAN, r)
    new = with_changes(PLAN, r, changes, as_of=D1, citations=CITATIONS)
    assert new.requires_physician_review  # the hold: a physician approves it
    assert new.interval_days.target == 42
    assert new.areas[0].depth_mm is not None
    assert new.areas[0].depth_mm.max == 1.25
    assert [row.number for row in new.schedule] == [2, 3, 4]
    assert new.schedule[0].earliest_on == D1 + timedelta(42)
    assert new.sessions == PLAN.sessions
    cited = {c.id for c in new.evidence}
    assert "policy:reaction_interval_extension_days" in cited
    assert "policy:reaction_depth_step_mm" in cited
    assert any("physician" in why.text for why in new.rationale)
    assert PLAN.interval_days.target == 28  # the approved plan is untouched


def test_only_the_chosen_changes_are_applied():
    r = replan(PLAN, A, [SessionDone(D1, CHEEKS, "pih")], as_of=D1)
    only_interval = [c for c in plan_changes(PLAN, r) if c.kind == LENGTHEN_INTERVAL]
    new = with_changes(PLAN, r, only_interval, as_of=D1, citations=CITATIONS)
    assert new.interval_days.target == 42
    assert new.areas == PLAN.areas


def test_a_stalled_response_moves_to_review_with_adjuncts():
    done = [SessionDone(D1 + timedelta(28 * i), CHEEKS, None, 3) for i in range(4)]
    last = done[-1].on
    early = replan(PLAN, A, done, as_of=last + timedelta(89), baseline_score=3)
    assert plan_changes(PLAN, early) == ()  # too early to call it

    late = replan(PLAN, A, done, as_of=last + timedelta(90), baseline_score=3)
    changes = plan_changes(PLAN, late)
    assert [c.kind for c in changes] == [REVIEW]  # subcision is already planned
    new = with_changes(PLAN, late, changes, as_of=last, citations=CITATIONS)
    assert new.requires_physician_review


def test_a_stall_suggests_an_adjunct_the_plan_lacks():
    a = parse_assessment(data(scars=[{"area": "cheeks", "kind": "boxcar"}]))
    # The engine plans PRP for boxcar scars; a version without it (older rules,
    # say) is offered it once the response stalls.
    plan = replace(plan_series(a), adjuncts=())
    done = [SessionDone(D1, CHEEKS, None, 3)]
    r = replan(plan, a, done, as_of=D1 + timedelta(90), baseline_score=3)
    changes = plan_changes(plan, r)
    assert PlanChange(ADD_ADJUNCT, "prp") in changes
    new = with_changes(plan, r, changes, as_of=D1, citations=CITATIONS)
    assert "prp" in {j.code for j in new.adjuncts}
    assert {e for j in new.adjuncts for e in j.evidence} <= {c.id for c in new.evidence}


def test_reaching_the_goal_stops_the_series():
    done = [SessionDone(D1, CHEEKS, None, 3), SessionDone(D2, CHEEKS, None, 2)]
    r = replan(PLAN, A, done, as_of=D2, baseline_score=3, goal_score=2)
    changes = plan_changes(PLAN, r)
    assert [c.kind for c in changes] == [STOP]
    new = with_changes(PLAN, r, changes, as_of=D2, citations=CITATIONS)
    assert new.schedule == ()
    assert new.sessions.planned == 2


def test_no_interval_or_depth_change_for_a_finished_series():
    done = [SessionDone(D1 + timedelta(28 * i), CHEEKS) for i in range(3)]
    done.append(SessionDone(D1 + timedelta(84), CHEEKS, "pih"))
    r = replan(PLAN, A, done, as_of=D1 + timedelta(85))
    assert plan_changes(PLAN, r) == ()


def test_a_stored_replan_and_its_changes_read_back_the_same():
    two = [SessionDone(D1, CHEEKS, None, 3), SessionDone(D2, CHEEKS, "infection", 3)]
    four = [SessionDone(D1 + timedelta(28 * i), CHEEKS, None, 3) for i in range(4)]
    held = replan(PLAN, A, two, as_of=D2 + timedelta(100), baseline_score=3)
    done = replan(PLAN, A, four, as_of=D2 + timedelta(200), baseline_score=3)
    assert held.schedule
    assert held.reasons
    assert done.follow_up
    for r in (held, done):
        assert replan_from_dict(json.loads(json.dumps(replan_to_dict(r)))) == r
        for change in plan_changes(PLAN, r):
            stored = json.loads(json.dumps(change_to_dict(change)))
            assert change_from_dict(stored) == change
