"""What a re-plan would change in an approved plan, and the plan with those changes.

`replan(...)` (replan.py) says what to do next in a running series; a practitioner
decides. `plan_changes(plan, result)` lists the differences that need a decision —
hold the series, stop it (goal reached), move to review (response stalled), lower a
depth, lengthen the interval, add an adjunct — and `with_changes(plan, result,
changes, ...)` builds the next plan version carrying exactly those changes, with
the re-plan's reasons and their citations. Remaining session windows are re-chained
from the real session dates either way (`result.schedule`).

Pure Python: no Django, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from skinterval.domain.evidence import Citation, id_sort_key, sort_ids
from skinterval.domain.plan import (
    Adjunct,
    AreaPlan,
    DepthRange,
    IntervalWindow,
    Reason,
    ScheduleRow,
    SeriesPlan,
)
from skinterval.domain.replan import FollowUpVisit, Replan

HOLD = "hold"
STOP = "stop"
REVIEW = "review"
LOWER_DEPTH = "lower_depth"
LENGTHEN_INTERVAL = "lengthen_interval"
ADD_ADJUNCT = "add_adjunct"

# Most pressing first: the headline of a proposal is its first change in this order.
KINDS: tuple[str, ...] = (
    HOLD,
    STOP,
    REVIEW,
    LOWER_DEPTH,
    LENGTHEN_INTERVAL,
    ADD_ADJUNCT,
)


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One change a re-plan suggests. `subject` names the area (lower_depth) or
    the adjunct code (add_adjunct); `before`/`after` hold the interval window
    (min, target, max days) or the depth range (min, max mm)."""

    kind: str
    subject: str = ""
    before: tuple[float, ...] = ()
    after: tuple[float, ...] = ()

    def sort_key(self) -> tuple[int, str]:
        return (KINDS.index(self.kind), self.subject)


def plan_changes(plan: SeriesPlan, result: Replan) -> tuple[PlanChange, ...]:
    """The changes `result` suggests for `plan`, most pressing first. Windows that
    merely re-flow from the real session dates are not a change to decide, nor are
    the interval and depth of a series with no session left."""
    out: list[PlanChange] = []
    if result.status == "hold":
        out.append(PlanChange(HOLD))
    if result.response == "goal_reached":
        out.append(PlanChange(STOP))
    if result.response == "stalled":
        out.append(PlanChange(REVIEW))
    if result.sessions_remaining == 0:
        result = replace(result, interval_days=plan.interval_days, areas=plan.areas)
    iv, new_iv = plan.interval_days, result.interval_days
    if new_iv.target > iv.target:
        out.append(
            PlanChange(
                LENGTHEN_INTERVAL,
                before=(iv.min, iv.target, iv.max),
                after=(new_iv.min, new_iv.target, new_iv.max),
            )
        )
    old_areas = {row.area: row for row in plan.areas}
    for row in result.areas:
        old = old_areas.get(row.area)
        if old is None or old.depth_mm is None or row.depth_mm is None:
            continue
        if row.depth_mm.max < old.depth_mm.max:
            out.append(
                PlanChange(
                    LOWER_DEPTH,
                    subject=row.area,
                    before=(old.depth_mm.min, old.depth_mm.max),
                    after=(row.depth_mm.min, row.depth_mm.max),
                )
            )
    have = {a.code for a in plan.adjuncts}
    out.extend(
        PlanChange(ADD_ADJUNCT, subject=a.code)
        for a in result.adjuncts
        if a.code not in have
    )
    return tuple(sorted(out, key=PlanChange.sort_key))


def with_changes(
    plan: SeriesPlan,
    result: Replan,
    changes: Iterable[PlanChange],
    *,
    as_of: date,
    citations: Mapping[str, Citation],
) -> SeriesPlan:
    """The next plan version: `plan` with `changes` (from `plan_changes(plan,
    result)`) applied, the remaining windows re-chained from the real session
    dates, and the re-plan's reasons added to the rationale, with every citation
    they need (from `citations`, the rules' table)."""
    kinds = {c.kind for c in changes}
    lowered = {c.subject for c in changes if c.kind == LOWER_DEPTH}
    added = {c.subject for c in changes if c.kind == ADD_ADJUNCT}
    interval = (
        result.interval_days if LENGTHEN_INTERVAL in kinds else plan.interval_days
    )
    new_areas = {row.area: row for row in result.areas}
    areas = tuple(
        new_areas[row.area] if row.area in lowered else row for row in plan.areas
    )
    adjuncts = plan.adjuncts + tuple(a for a in result.adjuncts if a.code in added)
    sessions, schedule = plan.sessions, result.schedule
    if STOP in kinds:
        sessions = replace(sessions, planned=result.sessions_done)
        schedule = ()
    note = Reason(
        f"Re-planned on {as_of.isoformat()} after {result.sessions_done} "
        f"session{'s' if result.sessions_done != 1 else ''}: the remaining windows "
        "count from the real session dates.",
        (),
    )
    rationale = (*plan.rationale, note, *result.reasons)
    have = {c.id: c for c in plan.evidence}
    for why in result.reasons:
        for key in why.evidence:
            if key not in have and key in citations:
                have[key] = citations[key]
    row_ids = [e for a in areas for e in a.evidence]
    row_ids += [e for j in adjuncts for e in j.evidence]
    for key in row_ids:
        if key not in have and key in citations:
            have[key] = citations[key]
    return replace(
        plan,
        requires_physician_review=plan.requires_physician_review
        or bool(kinds & {HOLD, REVIEW}),
        sessions=sessions,
        interval_days=interval,
        areas=areas,
        schedule=schedule,
        adjuncts=adjuncts,
        rationale=rationale,
        evidence=tuple(sorted(have.values(), key=lambda c: id_sort_key(c.id))),
    )


def cited_ids(reasons: Iterable[Reason]) -> tuple[str, ...]:
    """Every evidence id the reasons cite, in readable order."""
    return sort_ids(key for why in reasons for key in why.evidence)


def change_to_dict(change: PlanChange) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "subject": change.subject,
        "before": list(change.before),
        "after": list(change.after),
    }


def change_from_dict(data: Mapping[str, Any]) -> PlanChange:
    return PlanChange(
        data["kind"],
        data.get("subject", ""),
        tuple(data.get("before", ())),
        tuple(data.get("after", ())),
    )


def replan_to_dict(r: Replan) -> dict[str, Any]:
    """A re-plan as JSON, so that what a practitioner accepts is what they saw."""
    return {
        "status": r.status,
        "response": r.response,
        "sessions_done": r.sessions_done,
        "sessions_remaining": r.sessions_remaining,
        "interval_days": {
            "min": r.interval_days.min,
            "target": r.interval_days.target,
            "max": r.interval_days.max,
        },
        "schedule": [
            {
                "number": row.number,
                "earliest_on": row.earliest_on.isoformat(),
                "target_on": row.target_on.isoformat(),
                "latest_on": row.latest_on.isoformat(),
            }
            for row in r.schedule
        ],
        "areas": [
            {
                "area": a.area,
                "treat": a.treat,
                "depth_mm": None
                if a.depth_mm is None
                else {"min": a.depth_mm.min, "max": a.depth_mm.max},
                "reason": a.reason,
                "evidence": list(a.evidence),
            }
            for a in r.areas
        ],
        "adjuncts": [
            {
                "code": j.code,
                "timing": j.timing,
                "min_gap_days": j.min_gap_days,
                "reason": j.reason,
                "evidence": list(j.evidence),
            }
            for j in r.adjuncts
        ],
        "follow_up": [
            {"kind": v.kind, "on": v.on.isoformat(), "evidence": list(v.evidence)}
            for v in r.follow_up
        ],
        "requires_physician_review": r.requires_physician_review,
        "reasons": [{"text": w.text, "evidence": list(w.evidence)} for w in r.reasons],
    }


def replan_from_dict(data: Mapping[str, Any]) -> Replan:
    """The inverse of `replan_to_dict`."""
    iv = data["interval_days"]
    return Replan(
        status=data["status"],
        response=data["response"],
        sessions_done=int(data["sessions_done"]),
        sessions_remaining=int(data["sessions_remaining"]),
        interval_days=IntervalWindow(int(iv["min"]), int(iv["target"]), int(iv["max"])),
        schedule=tuple(
            ScheduleRow(
                int(row["number"]),
                date.fromisoformat(row["earliest_on"]),
                date.fromisoformat(row["target_on"]),
                date.fromisoformat(row["latest_on"]),
            )
            for row in data["schedule"]
        ),
        areas=tuple(
            AreaPlan(
                a["area"],
                bool(a["treat"]),
                None
                if a["depth_mm"] is None
                else DepthRange(a["depth_mm"]["min"], a["depth_mm"]["max"]),
                a["reason"],
                tuple(a["evidence"]),
            )
            for a in data["areas"]
        ),
        adjuncts=tuple(
            Adjunct(
                j["code"],
                j["timing"],
                j["min_gap_days"],
                j["reason"],
                tuple(j["evidence"]),
            )
            for j in data["adjuncts"]
        ),
        follow_up=tuple(
            FollowUpVisit(v["kind"], date.fromisoformat(v["on"]), tuple(v["evidence"]))
            for v in data["follow_up"]
        ),
        requires_physician_review=bool(data["requires_physician_review"]),
        reasons=tuple(Reason(w["text"], tuple(w["evidence"])) for w in data["reasons"]),
    )
