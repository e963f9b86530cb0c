"""Adapting a series to what happened: `replan(...)` after sessions are done.

The remaining windows are recomputed from the real session dates. After an adverse
reaction the next interval is lengthened and depth lowered (policy values), and some
reactions hold the series for a physician. A lack of response is never called before
results can show (>= 3 months after the last session, S3, S9); once it can be, a
stalled response suggests adjuncts and a review. Reaching the goal moves to review.
Scores are on a scale where `better` says which direction is improvement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from skinterval.domain.assessment import AreaDepth, Assessment
from skinterval.domain.evidence import sort_ids
from skinterval.domain.plan import (
    Adjunct,
    AreaPlan,
    DepthRange,
    IntervalWindow,
    Reason,
    ScheduleRow,
    SeriesPlan,
)
from skinterval.domain.protocol import (
    DEFAULT_PROTOCOL,
    ClinicRules,
    Protocol,
    apply_protocol,
)
from skinterval.domain.ruleset import Rules, load_rules

# Reaction codes whose words are not the code with spaces.
REACTION_WORDS = {"pih": "post-inflammatory hyperpigmentation (PIH)"}

STALL_ADJUNCTS = {
    "rolling": "subcision",
    "icepick": "tca_cross",
    "boxcar": "prp",
}


@dataclass(frozen=True, slots=True)
class SessionDone:
    """A session as charted: date, depth per area, reaction, and an optional score."""

    on: date
    areas: tuple[AreaDepth, ...] = ()
    reaction: str | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class FollowUpVisit:
    kind: str
    on: date
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Replan:
    """What to do next in a running series."""

    status: str  # continue | hold | review
    response: str  # not_assessed | too_early | improving | stalled | goal_reached
    sessions_done: int
    sessions_remaining: int
    interval_days: IntervalWindow
    schedule: tuple[ScheduleRow, ...]  # remaining sessions, numbered after those done
    areas: tuple[AreaPlan, ...]  # depth for the next session
    adjuncts: tuple[Adjunct, ...]  # suggested because the response stalled
    follow_up: tuple[FollowUpVisit, ...]
    requires_physician_review: bool
    reasons: tuple[Reason, ...]


def replan(
    plan: SeriesPlan,
    assessment: Assessment,
    done: Sequence[SessionDone],
    *,
    as_of: date,
    baseline_score: float | None = None,
    goal_score: float | None = None,
    better: str = "lower",
    protocol: Protocol = DEFAULT_PROTOCOL,
    rules: Rules | None = None,
) -> Replan:
    """Recompute the rest of `plan` from the sessions `done`, as of `as_of`."""
    cr = apply_protocol(rules or load_rules(), protocol)
    sessions = sorted(done, key=lambda s: s.on)
    reasons: list[Reason] = []
    if not sessions:
        return Replan(
            status="continue",
            response="not_assessed",
            sessions_done=0,
            sessions_remaining=plan.sessions.planned,
            interval_days=plan.interval_days,
            schedule=plan.schedule,
            areas=plan.areas,
            adjuncts=(),
            follow_up=(),
            requires_physician_review=plan.requires_physician_review,
            reasons=(Reason("No session done yet: the plan stands.", ("S3",)),),
        )
    last = sessions[-1]
    hold, extra = _reaction_effects(last, cr, reasons)
    interval = IntervalWindow(
        plan.interval_days.min + extra,
        plan.interval_days.target + extra,
        plan.interval_days.max + extra,
    )
    areas = _lower_depths(plan.areas, sessions, cr, reasons)
    response = _response(
        sessions, as_of, baseline_score, goal_score, better, cr, reasons
    )
    remaining = max(plan.sessions.planned - len(sessions), 0)
    if response == "goal_reached":
        remaining = 0
    adjuncts: tuple[Adjunct, ...] = ()
    if response == "stalled":
        adjuncts = _stall_adjuncts(assessment, cr)
    status = (
        "hold"
        if hold
        else "review"
        if response in ("goal_reached", "stalled")
        else None
    )
    if status is None:
        status = "review" if remaining == 0 else "continue"
    schedule = _remaining_schedule(
        last.on, len(sessions), remaining, interval, as_of, cr
    )
    follow_up: tuple[FollowUpVisit, ...] = ()
    if remaining == 0:
        ev = sort_ids(cr.sources["review_after_days"])
        follow_up = tuple(
            FollowUpVisit("review", last.on + timedelta(d), ev)
            for d in cr.get_days("review_after_days")
        )
    return Replan(
        status=status,
        response=response,
        sessions_done=len(sessions),
        sessions_remaining=remaining,
        interval_days=interval,
        schedule=schedule,
        areas=areas,
        adjuncts=adjuncts,
        follow_up=follow_up,
        requires_physician_review=hold or response == "stalled",
        reasons=tuple(reasons),
    )


def _reaction_effects(
    last: SessionDone, cr: ClinicRules, reasons: list[Reason]
) -> tuple[bool, int]:
    """Whether the last session's reaction holds the series, and the extra days."""
    if last.reaction in (None, "expected"):
        return False, 0
    assert last.reaction is not None  # noqa: S101 - narrowed above
    rule = cr.rules.reactions[last.reaction]
    extra = cr.get_int("reaction_interval_extension_days") if rule.lengthen else 0
    what = REACTION_WORDS.get(last.reaction, last.reaction.replace("_", " "))
    what = what[:1].upper() + what[1:]
    if rule.hold:
        reasons.append(
            Reason(
                f"{what} after the last session: hold the series until a "
                "physician has reviewed it.",
                sort_ids(rule.evidence),
            )
        )
    if extra:
        reasons.append(
            Reason(
                f"{what} after the last session: next interval lengthened "
                f"by {extra} days.",
                sort_ids(
                    [*rule.evidence, *cr.sources["reaction_interval_extension_days"]]
                ),
            )
        )
    return rule.hold, extra


def _lower_depths(
    areas: tuple[AreaPlan, ...],
    sessions: list[SessionDone],
    cr: ClinicRules,
    reasons: list[Reason],
) -> tuple[AreaPlan, ...]:
    """Cap each area below the depth used in any session that caused a reaction."""
    step = cr.get_num("reaction_depth_step_mm")
    floor = cr.rules.limits.depth_minimum_mm
    ceiling: dict[str, float] = {}
    for s in sessions:
        if s.reaction in (None, "expected"):
            continue
        assert s.reaction is not None  # noqa: S101 - narrowed above
        if cr.rules.reactions[s.reaction].lower_depth:
            for ad in s.areas:
                cap = max(ad.depth_mm - step, floor)
                ceiling[ad.area] = min(ceiling.get(ad.area, cap), cap)
    out: list[AreaPlan] = []
    for row in areas:
        limit = ceiling.get(row.area)
        if row.depth_mm is None or limit is None or limit >= row.depth_mm.max:
            out.append(row)
            continue
        depth = DepthRange(round(min(row.depth_mm.min, limit), 2), round(limit, 2))
        ev = sort_ids([*row.evidence, *cr.sources["reaction_depth_step_mm"]])
        out.append(
            replace(
                row,
                depth_mm=depth,
                reason=f"{row.reason} Lowered to {limit:g} mm after a reaction.",
                evidence=ev,
            )
        )
        reasons.append(
            Reason(
                f"{row.area}: depth lowered to {cap:g} mm after an adverse reaction.",
                ev,
            )
        )
    return tuple(out)


def _is_better(after: float, before: float, better: str) -> bool:
    return after < before if better == "lower" else after > before


def _response(
    sessions: list[SessionDone],
    as_of: date,
    baseline: float | None,
    goal: float | None,
    better: str,
    cr: ClinicRules,
    reasons: list[Reason],
) -> str:
    scores = [s.score for s in sessions if s.score is not None]
    if baseline is None or not scores:
        return "not_assessed"
    latest = scores[-1]
    judge = cr.rules.limits
    ev = judge.response_judge_evidence
    if goal is not None and (latest == goal or _is_better(latest, goal, better)):
        reasons.append(Reason("Goal reached: stop the series and move to review.", ev))
        return "goal_reached"
    if _is_better(latest, baseline, better):
        return "improving"
    judge_on = sessions[-1].on + timedelta(judge.response_judge_after_days)
    if as_of < judge_on:
        reasons.append(
            Reason(
                "No improvement yet, but results cannot be judged before "
                f"{judge_on.isoformat()} ({judge.response_judge_after_days} days after "
                "the last session): improvement keeps accruing after a session.",
                ev,
            )
        )
        return "too_early"
    reasons.append(
        Reason(
            "No improvement at least 3 months after the last session: review, and "
            "consider adjuncts matched to the scar types.",
            ev,
        )
    )
    return "stalled"


def _stall_adjuncts(a: Assessment, cr: ClinicRules) -> tuple[Adjunct, ...]:
    wanted = {STALL_ADJUNCTS[s.kind] for s in a.scars if s.kind in STALL_ADJUNCTS}
    return tuple(
        Adjunct(r.code, r.timing, r.min_gap_days, r.reason, sort_ids(r.evidence))
        for r in cr.rules.adjuncts
        if r.code in wanted
    )


def _remaining_schedule(
    last_on: date,
    done: int,
    remaining: int,
    interval: IntervalWindow,
    as_of: date,
    cr: ClinicRules,
) -> tuple[ScheduleRow, ...]:
    """Windows chained from the real date of the last session; an overdue next
    session opens from `as_of` instead of a window already past."""
    rows: list[ScheduleRow] = []
    anchor = last_on
    for number in range(done + 1, done + remaining + 1):
        earliest = anchor + timedelta(interval.min)
        target = anchor + timedelta(interval.target)
        latest = anchor + timedelta(interval.max)
        if number == done + 1 and target < as_of:
            earliest, target = max(earliest, as_of), as_of
            window = cr.get_int("first_session_window_days")
            latest = max(latest, as_of + timedelta(window))
        rows.append(ScheduleRow(number, earliest, target, latest))
        anchor = target
    return tuple(rows)
