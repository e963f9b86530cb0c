"""Replanning after sessions: real dates, each reaction kind, response timing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skinterval.domain.assessment import AreaDepth, parse_assessment
from skinterval.domain.plan import DepthRange
from skinterval.domain.planning import plan_series
from skinterval.domain.replan import SessionDone, replan
from skinterval.domain.tests.factories import data

RAW = data(scars=[{"area": "cheeks", "kind": "rolling", "grade": 3}])  # 4 sessions
A = parse_assessment(RAW)
PLAN = plan_series(A)
CHEEKS = (AreaDepth("cheeks", 1.5),)


def done(*days: str, reaction: str | None = None, scores=()) -> list[SessionDone]:
    out = [SessionDone(date.fromisoformat(d), CHEEKS) for d in days]
    if reaction:
        out[-1] = SessionDone(out[-1].on, CHEEKS, reaction)
    for i, score in enumerate(scores):
        out[i] = SessionDone(out[i].on, out[i].areas, out[i].reaction, score)
    return out


def test_no_sessions_keeps_the_plan():
    r = replan(PLAN, A, [], as_of=date(2025, 3, 3))
    assert r.schedule == PLAN.schedule
    assert r.status == "continue"


def test_remaining_windows_follow_the_real_dates():
    # Session 1 happened 10 days later than planned.
    r = replan(PLAN, A, done("2025-03-13"), as_of=date(2025, 3, 14))
    assert r.sessions_done == 1
    assert r.sessions_remaining == 3
    assert [row.number for row in r.schedule] == [2, 3, 4]
    assert r.schedule[0].earliest_on == date(2025, 4, 10)
    assert r.schedule[0].target_on == date(2025, 4, 10)
    assert r.schedule[0].latest_on == date(2025, 4, 24)
    assert r.schedule[1].target_on == date(2025, 5, 8)
    assert r.status == "continue"


def test_overdue_next_session_opens_from_today():
    r = replan(PLAN, A, done("2025-03-03"), as_of=date(2025, 6, 1))
    first = r.schedule[0]
    assert first.target_on == date(2025, 6, 1)
    assert first.earliest_on == date(2025, 6, 1)
    assert first.latest_on >= date(2025, 6, 15)


# reaction -> (status, extra interval days, cheeks depth max after)
REACTIONS = [
    ("expected", "continue", 0, 1.5),
    ("prolonged_erythema", "continue", 14, 1.25),
    ("pih", "continue", 14, 1.25),
    ("herpes_outbreak", "continue", 14, 1.5),
    ("infection", "hold", 14, 1.25),
    ("tram_track", "hold", 14, 1.25),
    ("granuloma", "hold", 14, 1.25),
    ("other", "hold", 14, 1.25),
]


@pytest.mark.parametrize(("reaction", "status", "extra", "depth_max"), REACTIONS)
def test_replanning_after_each_reaction_kind(reaction, status, extra, depth_max):
    r = replan(PLAN, A, done("2025-03-03", reaction=reaction), as_of=date(2025, 3, 5))
    assert r.status == status
    assert r.requires_physician_review == (status == "hold")
    assert r.interval_days.min == PLAN.interval_days.min + extra
    assert r.schedule[0].earliest_on == date(2025, 3, 3) + timedelta(28 + extra)
    [cheeks] = r.areas
    assert cheeks.depth_mm is not None
    assert cheeks.depth_mm.max == depth_max
    if depth_max < 1.5:
        assert "policy:reaction_depth_step_mm" in cheeks.evidence


def test_depth_never_drops_below_the_minimum():
    sessions = [SessionDone(date(2025, 3, 3), (AreaDepth("cheeks", 0.25),), "pih")]
    r = replan(PLAN, A, sessions, as_of=date(2025, 3, 4))
    assert r.areas[0].depth_mm == DepthRange(0.25, 0.25)


def test_no_response_is_not_called_before_three_months():
    sessions = done(
        "2025-03-03", "2025-03-31", "2025-04-28", "2025-05-26", scores=(3, 3, 3, 3)
    )
    judge_on = date(2025, 5, 26) + timedelta(90)
    early = replan(PLAN, A, sessions, as_of=judge_on - timedelta(1), baseline_score=3)
    assert early.response == "too_early"
    assert early.adjuncts == ()
    assert early.status == "review"  # series complete: review visits
    assert [v.on for v in early.follow_up] == [
        judge_on,
        date(2025, 5, 26) + timedelta(180),
    ]

    late = replan(PLAN, A, sessions, as_of=judge_on, baseline_score=3)
    assert late.response == "stalled"
    assert late.status == "review"
    assert late.requires_physician_review
    assert {a.code for a in late.adjuncts} == {"subcision"}


def test_improvement_is_recognised_at_any_time():
    r = replan(
        PLAN,
        A,
        done("2025-03-03", scores=(2,)),
        as_of=date(2025, 3, 4),
        baseline_score=3,
    )
    assert r.response == "improving"
    assert r.status == "continue"


def test_goal_reached_moves_to_review():
    sessions = done("2025-03-03", "2025-03-31", scores=(3, 2))
    r = replan(
        PLAN, A, sessions, as_of=date(2025, 4, 1), baseline_score=3, goal_score=2
    )
    assert r.response == "goal_reached"
    assert r.status == "review"
    assert r.sessions_remaining == 0
    assert r.schedule == ()
    assert r.follow_up[0].on == date(2025, 6, 29)


def test_higher_is_better_scales():
    sessions = done("2025-03-03", scores=(7,))
    r = replan(
        PLAN, A, sessions, as_of=date(2025, 3, 4), baseline_score=5, better="higher"
    )
    assert r.response == "improving"
