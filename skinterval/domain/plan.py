"""The series plan: what `plan_series` returns and `skinterval plan` prints.

Field names follow the output contract (``plan.schema.json``); dates are `date` objects
here and ISO strings only when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from skinterval.domain.evidence import Citation

SEVERITY_RANK = {"block": 0, "defer": 1, "review": 2, "caution": 3, "info": 4}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something screening found; `until` is the first day it no longer applies."""

    code: str
    severity: str
    message: str
    evidence: tuple[str, ...]
    until: date | None = None
    areas: tuple[str, ...] = ()

    def sort_key(self) -> tuple[int, str, str, str, tuple[str, ...]]:
        until = self.until.isoformat() if self.until else ""
        return (
            SEVERITY_RANK[self.severity],
            self.code,
            until,
            self.message,
            self.areas,
        )


@dataclass(frozen=True, slots=True)
class SessionCount:
    min: int
    max: int
    planned: int


@dataclass(frozen=True, slots=True)
class IntervalWindow:
    """Days between consecutive sessions: never fewer than `min`, aim for `target`."""

    min: int
    target: int
    max: int


@dataclass(frozen=True, slots=True)
class DepthRange:
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class AreaPlan:
    area: str
    treat: bool
    depth_mm: DepthRange | None
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    number: int
    earliest_on: date
    target_on: date
    latest_on: date


@dataclass(frozen=True, slots=True)
class Adjunct:
    code: str
    timing: str
    min_gap_days: int | None
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AftercareItem:
    from_day: int
    to_day: int
    advice: str
    basis: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FollowUp:
    kind: str  # review | maintenance
    after_last_session_days: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    text: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeriesPlan:
    """A whole treatment series for one patient, with reasons and sources."""

    rules_version: str
    decision: str  # proceed | defer | decline
    requires_physician_review: bool
    earliest_start_on: date | None
    findings: tuple[Finding, ...]
    sessions: SessionCount
    interval_days: IntervalWindow
    areas: tuple[AreaPlan, ...]
    schedule: tuple[ScheduleRow, ...]
    adjuncts: tuple[Adjunct, ...]
    aftercare: tuple[AftercareItem, ...]
    follow_up: tuple[FollowUp, ...]
    rationale: tuple[Reason, ...]
    evidence: tuple[Citation, ...]


def decide(findings: tuple[Finding, ...]) -> str:
    """`decline` on any block, else `defer` on any defer, else `proceed` (contract)."""
    severities = {f.severity for f in findings}
    if "block" in severities:
        return "decline"
    if "defer" in severities:
        return "defer"
    return "proceed"


def earliest_start(
    decision: str, findings: tuple[Finding, ...], assessed_on: date
) -> date | None:
    """First day treatment may start, per the contract's rule for each decision."""
    if decision == "decline":
        return None
    if decision == "defer":
        untils = [f.until for f in findings if f.severity == "defer"]
        if any(u is None for u in untils):
            return None
        return max(u for u in untils if u is not None)
    return max([assessed_on, *(f.until for f in findings if f.until is not None)])


def chain_schedule(
    start_on: date, planned: int, interval: IntervalWindow, first_window_days: int
) -> tuple[ScheduleRow, ...]:
    """Windows for `planned` sessions: session 1 from `start_on`; each later window
    counts from the previous session's target date."""
    rows: list[ScheduleRow] = []
    target = start_on
    for number in range(1, planned + 1):
        if number == 1:
            row = ScheduleRow(
                1, start_on, start_on, start_on + timedelta(first_window_days)
            )
        else:
            row = ScheduleRow(
                number,
                target + timedelta(interval.min),
                target + timedelta(interval.target),
                target + timedelta(interval.max),
            )
        rows.append(row)
        target = row.target_on
    return tuple(rows)
