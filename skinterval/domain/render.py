"""Rendering a plan: the contract's JSON (`plan.schema.json`) and a practitioner's text.

JSON is printed with sorted keys and lists in the plan's own stable order, so the same
assessment always gives byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from skinterval.domain.evidence import Citation, id_sort_key
from skinterval.domain.plan import (
    Adjunct,
    AftercareItem,
    AreaPlan,
    DepthRange,
    Finding,
    FollowUp,
    IntervalWindow,
    Reason,
    ScheduleRow,
    SeriesPlan,
    SessionCount,
)

SCHEMA_ID = "skinterval.plan/1"


def plan_to_dict(plan: SeriesPlan) -> dict[str, Any]:
    """The plan as a JSON-ready dict valid against `plan.schema.json`."""
    return {
        "schema": SCHEMA_ID,
        "rules_version": plan.rules_version,
        "decision": plan.decision,
        "requires_physician_review": plan.requires_physician_review,
        "earliest_start_on": _date(plan.earliest_start_on),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "until": _date(f.until),
                "areas": list(f.areas),
                "evidence": list(f.evidence),
            }
            for f in plan.findings
        ],
        "sessions": {
            "min": plan.sessions.min,
            "max": plan.sessions.max,
            "planned": plan.sessions.planned,
        },
        "interval_days": {
            "min": plan.interval_days.min,
            "target": plan.interval_days.target,
            "max": plan.interval_days.max,
        },
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
            for a in plan.areas
        ],
        "schedule": [
            {
                "number": r.number,
                "earliest_on": r.earliest_on.isoformat(),
                "target_on": r.target_on.isoformat(),
                "latest_on": r.latest_on.isoformat(),
            }
            for r in plan.schedule
        ],
        "adjuncts": [
            {
                "code": j.code,
                "timing": j.timing,
                "min_gap_days": j.min_gap_days,
                "reason": j.reason,
                "evidence": list(j.evidence),
            }
            for j in plan.adjuncts
        ],
        "aftercare": [
            {
                "from_day": c.from_day,
                "to_day": c.to_day,
                "advice": c.advice,
                "basis": c.basis,
                "evidence": list(c.evidence),
            }
            for c in plan.aftercare
        ],
        "follow_up": [
            {
                "kind": u.kind,
                "after_last_session_days": u.after_last_session_days,
                "evidence": list(u.evidence),
            }
            for u in plan.follow_up
        ],
        "rationale": [
            {"text": r.text, "evidence": list(r.evidence)} for r in plan.rationale
        ],
        "evidence": {
            c.id: {"citation": c.citation, "grade": c.grade, "url": c.url}
            | ({} if c.verified else {"verified": False, "note": c.note})
            for c in plan.evidence
        },
    }


def _date(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def plan_from_dict(data: Mapping[str, Any]) -> SeriesPlan:
    """The inverse of `plan_to_dict`: a stored plan back as a `SeriesPlan`, so that
    what was approved (not what today's rules would say) can be re-planned."""

    def day(value: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)

    def ids(row: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(row.get("evidence", ()))

    s, iv = data["sessions"], data["interval_days"]
    return SeriesPlan(
        rules_version=data["rules_version"],
        decision=data["decision"],
        requires_physician_review=bool(data["requires_physician_review"]),
        earliest_start_on=day(data.get("earliest_start_on")),
        findings=tuple(
            Finding(
                code=f["code"],
                severity=f["severity"],
                message=f["message"],
                evidence=ids(f),
                until=day(f.get("until")),
                areas=tuple(f.get("areas", ())),
            )
            for f in data.get("findings", [])
        ),
        sessions=SessionCount(int(s["min"]), int(s["max"]), int(s["planned"])),
        interval_days=IntervalWindow(int(iv["min"]), int(iv["target"]), int(iv["max"])),
        areas=tuple(
            AreaPlan(
                area=a["area"],
                treat=bool(a["treat"]),
                depth_mm=None
                if a.get("depth_mm") is None
                else DepthRange(a["depth_mm"]["min"], a["depth_mm"]["max"]),
                reason=a["reason"],
                evidence=ids(a),
            )
            for a in data.get("areas", [])
        ),
        schedule=tuple(
            ScheduleRow(
                int(r["number"]),
                date.fromisoformat(r["earliest_on"]),
                date.fromisoformat(r["target_on"]),
                date.fromisoformat(r["latest_on"]),
            )
            for r in data.get("schedule", [])
        ),
        adjuncts=tuple(
            Adjunct(j["code"], j["timing"], j["min_gap_days"], j["reason"], ids(j))
            for j in data.get("adjuncts", [])
        ),
        aftercare=tuple(
            AftercareItem(c["from_day"], c["to_day"], c["advice"], c["basis"], ids(c))
            for c in data.get("aftercare", [])
        ),
        follow_up=tuple(
            FollowUp(u["kind"], int(u["after_last_session_days"]), ids(u))
            for u in data.get("follow_up", [])
        ),
        rationale=tuple(Reason(r["text"], ids(r)) for r in data.get("rationale", [])),
        evidence=tuple(
            Citation(
                id=key,
                citation=row["citation"],
                grade=row["grade"],
                url=row.get("url"),
                verified=bool(row.get("verified", True)),
                note=row.get("note"),
            )
            # jsonb does not keep key order: sources in their readable order.
            for key, row in sorted(
                data.get("evidence", {}).items(), key=lambda kv: id_sort_key(kv[0])
            )
        ),
    )


def dumps_plan(plan: SeriesPlan) -> str:
    """Deterministic JSON text (sorted keys, two-space indent, trailing newline)."""
    return (
        json.dumps(plan_to_dict(plan), sort_keys=True, indent=2, ensure_ascii=False)
        + "\n"
    )


_DECISION = {
    "proceed": "PROCEED",
    "defer": "DEFER",
    "decline": "DECLINE — do not treat",
}


def render_text(plan: SeriesPlan) -> str:
    """A readable summary for a practitioner; sources are listed by id at the end."""
    lines: list[str] = []
    add = lines.append

    def ids(evidence: tuple[str, ...]) -> str:
        return f" [{', '.join(evidence)}]" if evidence else ""

    start = plan.earliest_start_on.isoformat() if plan.earliest_start_on else "not set"
    add(f"Decision: {_DECISION[plan.decision]}   (rules {plan.rules_version})")
    add(f"Earliest start: {start}")
    if plan.requires_physician_review:
        add("Physician review required before treatment.")
    if plan.findings:
        add("")
        add("Findings")
        for f in plan.findings:
            extra = f" (until {f.until.isoformat()})" if f.until else ""
            where = f" — {', '.join(f.areas)}" if f.areas else ""
            add(
                f"  {f.severity.upper():8} {f.code}{where}{extra}: "
                f"{f.message}{ids(f.evidence)}"
            )
    s, iv = plan.sessions, plan.interval_days
    add("")
    add(f"Sessions: {s.planned} planned (range {s.min}-{s.max})")
    add(f"Interval: {iv.target} days (window {iv.min}-{iv.max} days)")
    if plan.schedule:
        add("Schedule (earliest / target / latest):")
        for r in plan.schedule:
            add(
                f"  {r.number:2}. {r.earliest_on.isoformat()} / "
                f"{r.target_on.isoformat()} / {r.latest_on.isoformat()}"
            )
    add("")
    add("Areas")
    for a in plan.areas:
        depth = (
            f"{a.depth_mm.min:g}-{a.depth_mm.max:g} mm" if a.depth_mm else "not treated"
        )
        add(f"  {a.area:12} {depth:12} {a.reason}{ids(a.evidence)}")
    if plan.adjuncts:
        add("")
        add("Adjuncts")
        for j in plan.adjuncts:
            add(f"  {j.code}: {j.timing}. {j.reason}{ids(j.evidence)}")
    if plan.aftercare:
        add("")
        add("Aftercare (days after each session)")
        for c in plan.aftercare:
            add(
                f"  day {c.from_day}-{c.to_day} ({c.basis}): "
                f"{c.advice}{ids(c.evidence)}"
            )
    if plan.follow_up:
        add("")
        add("Follow-up (days after the last session)")
        for u in plan.follow_up:
            add(f"  {u.kind} at {u.after_last_session_days} days{ids(u.evidence)}")
    add("")
    add("Why")
    for why in plan.rationale:
        add(f"  - {why.text}{ids(why.evidence)}")
    add("")
    add("Sources")
    for cite in plan.evidence:
        flag = " (UNVERIFIED)" if not cite.verified else ""
        add(f"  {cite.id} [{cite.grade}]{flag} {cite.citation}")
    return "\n".join(lines) + "\n"
