"""Adaptive re-planning: after each scored visit, the engine's `replan` runs on the
patient's approved plan and what it would change becomes a `ReplanProposal` for a
practitioner to accept or decline (docs/replanning.md, decision 0013).

- `on_score_recorded(score)`: the seam called by `outcomes.services.record_score`.
- `propose_replan(plan=, as_of=)`: run the re-plan and store what needs a decision.
- `accept_replan_proposal(...)`: a new plan version, a draft approved as usual; the
  approved plan is never edited.
- `decline_replan_proposal(...)`: with a written reason.

Each session's adverse reaction is proposed on once: after a proposal counting
from that session has been decided (accepted or declined), the engine is given
the session without its reaction, so an accepted lengthening is not added again
and a declined one is not proposed again. Other changes already decided for the
same last session are not proposed again either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.charting.models import ChartStatus, SessionChart
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.domain.assessment import AreaDepth, parse_assessment
from skinterval.domain.errors import InvalidInput
from skinterval.domain.evidence import Citation
from skinterval.domain.plan import SeriesPlan
from skinterval.domain.protocol import DEFAULT_PROTOCOL, ClinicRules, apply_protocol
from skinterval.domain.render import plan_from_dict
from skinterval.domain.replan import Replan, SessionDone, replan
from skinterval.domain.replan_changes import (
    HOLD,
    PlanChange,
    change_from_dict,
    change_to_dict,
    cited_ids,
    plan_changes,
    replan_from_dict,
    replan_to_dict,
    with_changes,
)
from skinterval.domain.ruleset import load_rules
from skinterval.domain.scales import Better, ScaleError, get_scale
from skinterval.outcomes.models import Score, ScoreOccasion, SessionHold
from skinterval.plans.models import (
    Plan,
    PlanSession,
    PlanStatus,
    ProposalStatus,
    ReplanProposal,
)
from skinterval.plans.queries import lineage_ids
from skinterval.plans.services import save_version

logger = logging.getLogger(__name__)

DECLINE_REASON_MAX_CHARS = 2000
DECIDED = (ProposalStatus.ACCEPTED, ProposalStatus.DECLINED)


class ProposalRefused(Exception):
    """The proposal cannot be decided (any more); the message says why."""


class InvalidDecision(Exception):
    """Bad input for a decision; messages per form field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


# --- the seam ---------------------------------------------------------------------


def on_score_recorded(score: Score) -> ReplanProposal | None:
    """Called once a score is recorded: a score at a session or review visit
    re-plans the patient's approved plan as of the day it was scored."""
    if score.occasion == ScoreOccasion.BASELINE or score.appointment_id is None:
        return None
    plan = Plan.objects.filter(
        patient_id=score.patient_id, status=PlanStatus.APPROVED
    ).first()
    if plan is None:
        return None
    try:
        with transaction.atomic():
            return propose_replan(plan=plan, as_of=score.scored_on)
    except (InvalidInput, KeyError, TypeError, ValueError):
        # The score is the record; the re-plan only advises. A stored plan the
        # engine can no longer read must not lose the score: log it (ids only).
        logger.exception("Re-planning plan %s after score %s failed", plan.pk, score.pk)
        return None


# --- inputs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """The score series the response is judged on."""

    area: str
    scale: str
    version: str
    better: str
    baseline: float
    by_day: tuple[tuple[date, float], ...]  # later scores, oldest first

    def as_dict(self) -> dict[str, Any]:
        latest_on, latest = self.by_day[-1]
        return {
            "area": self.area,
            "scale": self.scale,
            "scale_name": get_scale(self.scale).name,
            "better": self.better,
            "baseline": self.baseline,
            "latest": latest,
            "latest_on": latest_on.isoformat(),
        }


def series_charts(plan: Plan, as_of: date) -> list[SessionChart]:
    """The completed sessions of this plan's series (this version and those it was
    made from), up to `as_of`, oldest first, with their areas."""
    return list(
        SessionChart.objects.filter(
            patient_id=plan.patient_id,
            plan_id__in=lineage_ids(plan),
            status=ChartStatus.COMPLETED,
            performed_on__lte=as_of,
        )
        .order_by("performed_on", "completed_at", "pk")
        .prefetch_related("areas")
    )


def decided_proposals(plan: Plan) -> list[ReplanProposal]:
    return list(
        ReplanProposal.objects.filter(plan_id__in=lineage_ids(plan), status__in=DECIDED)
    )


def primary_measure(scores: Iterable[Score], first_session_on: date) -> Measure | None:
    """The practitioner-scored series judged: a baseline on or before the first
    session, then scores from the first session on, on the same area and scale
    version (a scale whose better end is known). The series scored most recently
    wins; then by scale and area."""
    baselines: dict[tuple[str, str, str], Score] = {}
    later: dict[tuple[str, str, str], list[Score]] = {}
    for s in scores:
        key = (s.area, s.scale, s.scale_version)
        if s.occasion == ScoreOccasion.BASELINE:
            if s.scored_on <= first_session_on:
                baselines[key] = s  # scores come oldest first: the latest wins
        elif s.scored_on >= first_session_on:
            later.setdefault(key, []).append(s)
    candidates: list[Measure] = []
    for key, rows in later.items():
        if key not in baselines:
            continue
        try:
            better = get_scale(key[1]).better
        except ScaleError:
            continue
        if better is Better.UNSTATED:
            continue
        candidates.append(
            Measure(
                area=key[0],
                scale=key[1],
                version=key[2],
                better=str(better),
                baseline=float(baselines[key].total),
                by_day=tuple((s.scored_on, float(s.total)) for s in rows),
            )
        )
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda m: (-m.by_day[-1][0].toordinal(), m.scale, m.area),
    )


def sessions_done(
    charts: Sequence[SessionChart],
    measure: Measure | None,
    stripped: set[int],
) -> list[SessionDone]:
    """Charts as the engine's `SessionDone`. A session's score is the latest score
    of the measure from its day until the next session (a review after the last
    session counts for it). Sessions in `stripped` lose their reaction."""
    out: list[SessionDone] = []
    for i, chart in enumerate(charts):
        assert chart.performed_on is not None  # noqa: S101 - completed charts
        until = charts[i + 1].performed_on if i + 1 < len(charts) else None
        score = None
        if measure is not None:
            scores = [
                v
                for on, v in measure.by_day
                if on >= chart.performed_on and (until is None or on < until)
            ]
            score = scores[-1] if scores else None
        reaction = None if chart.pk in stripped else chart.reaction or None
        out.append(
            SessionDone(
                on=chart.performed_on,
                areas=tuple(
                    AreaDepth(a.area, float(a.depth_mm))
                    for a in sorted(chart.areas.all(), key=lambda a: a.area)
                ),
                reaction=reaction,
                score=score,
            )
        )
    return out


def _rules() -> ClinicRules:
    return apply_protocol(load_rules(), DEFAULT_PROTOCOL)


def _citations(ids: Iterable[str], table: dict[str, Citation]) -> dict[str, Any]:
    return {
        key: {
            "citation": table[key].citation,
            "grade": table[key].grade,
            "url": table[key].url,
        }
        for key in ids
        if key in table
    }


# --- use cases --------------------------------------------------------------------


def propose_replan(*, plan: Plan, as_of: date) -> ReplanProposal | None:
    """Re-plan an approved plan as of `as_of` from its series' charted sessions and
    the practitioner's scores, and store the changes that need a decision as the
    plan's pending proposal (replacing an older pending one). None when there is
    nothing to decide: no session done yet, or nothing would change."""
    if plan.status != PlanStatus.APPROVED:
        return None
    if Plan.objects.filter(derived_from=plan, status=PlanStatus.DRAFT).exists():
        return None  # a new version made from this one awaits approval
    charts = series_charts(plan, as_of)
    if not charts:
        return None
    decided = decided_proposals(plan)
    stripped = {
        int(p.details["last_session"]["chart_id"])
        for p in decided
        if p.details.get("last_session")
    }
    first_on = charts[0].performed_on
    assert first_on is not None  # noqa: S101 - completed charts
    scores = Score.objects.filter(
        patient_id=plan.patient_id, scored_by__isnull=False, scored_on__lte=as_of
    ).order_by("scored_on", "created_at", "pk")
    measure = primary_measure(scores, first_on)
    done = sessions_done(charts, measure, stripped)
    cr = _rules()
    series = plan_from_dict(plan.plan)
    result = replan(
        series,
        parse_assessment(plan.assessment),
        done,
        as_of=as_of,
        baseline_score=None if measure is None else measure.baseline,
        better="lower" if measure is None else measure.better,
        rules=cr.rules,
    )
    last = charts[-1]
    already = {
        (c["kind"], c.get("subject", ""))
        for p in decided
        if p.details.get("last_session", {}).get("chart_id") == last.pk
        for c in p.details.get("changes", [])
    }
    changes = [
        c for c in plan_changes(series, result) if (c.kind, c.subject) not in already
    ]
    with transaction.atomic():
        pending = (
            ReplanProposal.objects.select_for_update()
            .filter(plan=plan, status=ProposalStatus.PENDING)
            .first()
        )
        details = _details(result, changes, last, measure, cr)
        if pending is not None:
            if _same(pending, details):
                return pending
            pending.status = ProposalStatus.SUPERSEDED
            pending.save(update_fields=["status"])
        if not changes:
            return None
        try:
            with transaction.atomic():
                return ReplanProposal.objects.create(
                    clinic_id=plan.clinic_id,
                    plan=plan,
                    kind=changes[0].kind,
                    details=details,
                    reasons=details["replan"]["reasons"],
                    as_of=as_of,
                )
        except IntegrityError:  # a racing re-plan of the same plan got there first
            return ReplanProposal.objects.filter(
                plan=plan, status=ProposalStatus.PENDING
            ).first()


def _details(
    result: Replan,
    changes: Sequence[PlanChange],
    last: SessionChart,
    measure: Measure | None,
    cr: ClinicRules,
) -> dict[str, Any]:
    assert last.performed_on is not None  # noqa: S101 - completed charts
    return {
        "response": result.response,
        "status": result.status,
        "sessions_done": result.sessions_done,
        "sessions_remaining": result.sessions_remaining,
        "last_session": {
            "chart_id": last.pk,
            "on": last.performed_on.isoformat(),
            "reaction": last.reaction,
        },
        "measure": None if measure is None else measure.as_dict(),
        "changes": [change_to_dict(c) for c in changes],
        "replan": replan_to_dict(result),
        "citations": _citations(cited_ids(result.reasons), dict(cr.citations)),
    }


def _same(pending: ReplanProposal, details: dict[str, Any]) -> bool:
    """The same changes, counted from the same session, with the same windows."""
    old = pending.details
    return bool(
        old.get("changes") == details["changes"]
        and old.get("last_session") == details["last_session"]
        and old.get("replan", {}).get("schedule") == details["replan"]["schedule"]
    )


def _require_practitioner(member: StaffMember, proposal: ReplanProposal) -> None:
    if member.clinic_id != proposal.clinic_id or member.role != (
        StaffRole.PRACTITIONER
    ):
        raise PermissionDenied("Only the clinic's practitioners decide re-plans.")


def _lock_pending(proposal: ReplanProposal) -> ReplanProposal:
    row = (
        ReplanProposal.objects.select_for_update(of=("self",))
        .select_related("plan__patient", "plan__clinic")
        .get(pk=proposal.pk)
    )
    if row.status != ProposalStatus.PENDING:
        raise ProposalRefused(
            _("This proposal has already been %(status)s.")
            % {"status": row.get_status_display().lower()}
        )
    return row


def accept_replan_proposal(
    *, proposal: ReplanProposal, accepted_by: StaffMember, now: datetime
) -> Plan:
    """A practitioner accepts a proposal: the next plan version, a draft carrying
    the proposed changes, to approve as usual (by a physician when it holds the
    series or moves it to review). A hold also holds the plan's next planned
    session, so that the patient cannot book it meanwhile."""
    _require_practitioner(accepted_by, proposal)
    try:
        with transaction.atomic():
            row = _lock_pending(proposal)
            plan = row.plan
            if plan.status != PlanStatus.APPROVED:
                raise ProposalRefused(
                    _(
                        "The plan this proposal was made for is no longer the "
                        "approved one."
                    )
                )
            changes = [change_from_dict(c) for c in row.details["changes"]]
            result = replan_from_dict(row.details["replan"])
            new = save_version(
                patient=plan.patient,
                assessment=plan.assessment,
                result=_next_version(plan, result, changes, row.as_of),
                assessed_on=plan.assessed_on,
                created_by=accepted_by,
                derived_from=plan,
            )
            if any(c.kind == HOLD for c in changes):
                _hold_next_session(plan, result, accepted_by, now)
            row.status = ProposalStatus.ACCEPTED
            row.decided_by = accepted_by
            row.decided_at = now
            row.new_plan = new
            row.save(update_fields=["status", "decided_by", "decided_at", "new_plan"])
            record_write(row, AuditAction.UPDATE, by=accepted_by)
            record_write(new, AuditAction.CREATE, by=accepted_by)
    except IntegrityError:  # a version saved at the same moment took the number
        raise ProposalRefused(
            _("Another version was saved at the same moment; reload and try again.")
        ) from None
    proposal.status = ProposalStatus.ACCEPTED
    proposal.new_plan = new
    return new


def _next_version(
    plan: Plan, result: Replan, changes: Sequence[PlanChange], as_of: date
) -> SeriesPlan:
    return with_changes(
        plan_from_dict(plan.plan),
        result,
        changes,
        as_of=as_of,
        citations=dict(_rules().citations),
    )


def _hold_next_session(
    plan: Plan, result: Replan, held_by: StaffMember, now: datetime
) -> None:
    session = (
        PlanSession.objects.filter(plan=plan, number__gt=result.sessions_done)
        .order_by("number")
        .first()
    )
    if (
        session is None
        or SessionHold.objects.filter(
            plan_session=session, released_at__isnull=True
        ).exists()
    ):
        return
    SessionHold.objects.create(
        clinic_id=plan.clinic_id,
        plan_session=session,
        reason=_("Re-plan accepted: series held until a physician has reviewed it."),
        held_by=held_by,
        held_at=now,
    )


def decline_replan_proposal(
    *,
    proposal: ReplanProposal,
    declined_by: StaffMember,
    reason: str,
    now: datetime,
) -> ReplanProposal:
    """A practitioner declines a proposal, saying why; the plan stays as it is."""
    _require_practitioner(declined_by, proposal)
    reason = reason.strip()
    if not reason:
        raise InvalidDecision({"reason": [_("Say why the proposal is declined.")]})
    if len(reason) > DECLINE_REASON_MAX_CHARS:
        raise InvalidDecision(
            {
                "reason": [
                    _("At most %(n)s characters.") % {"n": DECLINE_REASON_MAX_CHARS}
                ]
            }
        )
    with transaction.atomic():
        row = _lock_pending(proposal)
        row.status = ProposalStatus.DECLINED
        row.decided_by = declined_by
        row.decided_at = now
        row.decline_reason = reason
        row.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        record_write(row, AuditAction.UPDATE, by=declined_by)
    return row
