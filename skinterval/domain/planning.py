"""Planning: `plan_series(assessment, protocol, rules) -> SeriesPlan`.

Screening decides whether and when to start; the indications present decide how
many sessions (more for more severe scarring — never shorter intervals); the
clinic's interval window chains the session windows; each scarred area gets a
depth range capped by its zone and by the device. Everything carries its
evidence ids, resolved into citations at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from skinterval.domain.assessment import (
    Assessment,
    Scar,
    calendar_problems,
    sorted_areas,
)
from skinterval.domain.errors import InvalidInput
from skinterval.domain.evidence import sort_ids
from skinterval.domain.plan import (
    Adjunct,
    AftercareItem,
    AreaPlan,
    DepthRange,
    Finding,
    FollowUp,
    IntervalWindow,
    Reason,
    SeriesPlan,
    SessionCount,
    chain_schedule,
    decide,
    earliest_start,
)
from skinterval.domain.protocol import (
    DEFAULT_PROTOCOL,
    ClinicRules,
    Protocol,
    apply_protocol,
)
from skinterval.domain.ruleset import Indication, Rules, load_rules
from skinterval.domain.screening import (
    ACNE_KINDS,
    device_rule,
    reaction_extension_days,
    screen,
)


def plan_series(
    assessment: Assessment,
    protocol: Protocol = DEFAULT_PROTOCOL,
    rules: Rules | None = None,
) -> SeriesPlan:
    """The whole series plan for one assessment, as of its `assessed_on` date.

    Raises `InvalidInput` when `assessed_on` is off the planning calendar (an
    assessment built without `parse_assessment`, which checks it too)."""
    off_calendar = calendar_problems(assessment)
    if off_calendar:
        raise InvalidInput(off_calendar)
    cr = apply_protocol(rules or load_rules(), protocol)
    findings = screen(assessment, cr)
    areas, capped = plan_areas(assessment, cr)
    if capped:
        dev = assessment.device
        assert dev is not None  # noqa: S101 - only a device caps depth
        rule = cr.rules.findings["depth_capped_by_device"]
        findings.append(
            Finding(
                code=rule.code,
                severity=rule.severity,
                message=f"{rule.message} Device: {dev.name}, "
                f"{device_cap(assessment, cr):g} mm.",
                evidence=sort_ids(rule.evidence),
                areas=sorted_areas(capped),
            )
        )
    ordered = tuple(sorted(findings, key=Finding.sort_key))
    decision = decide(ordered)
    start_on = earliest_start(decision, ordered, assessment.assessed_on)
    indications = active_indications(assessment, areas, cr)
    sessions = session_count(assessment, indications)
    interval = interval_window(assessment, cr)
    planned = sessions.planned
    if decision == "decline" or start_on is None:
        planned = 0
    first_day = start_on
    if start_on is not None:  # later wash-outs that do not defer still hold session 1
        first_day = max([start_on, *(f.until for f in ordered if f.until is not None)])
    schedule = (
        ()
        if first_day is None
        else chain_schedule(
            first_day, planned, interval, cr.get_int("first_session_window_days")
        )
    )
    adjuncts = (
        ()
        if decision == "decline"
        else plan_adjuncts(assessment, ordered, indications, cr)
    )
    aftercare = () if decision == "decline" else aftercare_items(cr)
    follow_up = follow_up_visits(cr) if planned else ()
    rationale = explain(
        assessment, cr, ordered, decision, indications, sessions, planned, interval
    )
    used: list[str] = []
    for group in (ordered, areas, adjuncts, aftercare, follow_up, rationale):
        for item in group:
            used.extend(item.evidence)
    evidence = tuple(cr.citations[i] for i in sort_ids(used))
    return SeriesPlan(
        rules_version=cr.rules.rules_version,
        decision=decision,
        requires_physician_review=any(f.severity == "review" for f in ordered),
        earliest_start_on=start_on,
        findings=ordered,
        sessions=SessionCount(sessions.min, sessions.max, planned),
        interval_days=interval,
        areas=areas,
        schedule=schedule,
        adjuncts=adjuncts,
        aftercare=aftercare,
        follow_up=follow_up,
        rationale=rationale,
        evidence=evidence,
    )


def device_cap(a: Assessment, cr: ClinicRules) -> float:
    """The deepest the device may go: its own maximum, lowered by its labelling."""
    if a.device is None:
        return float("inf")
    rule = device_rule(a.device, cr.rules)
    labelled = rule.labelled_max_depth_mm if rule else float("inf")
    return min(a.device.max_depth_mm, labelled)


def _treatable(scar: Scar, a: Assessment, cr: ClinicRules) -> bool:
    return (
        cr.rules.indication_of_kind[scar.kind].auto_plan
        and not cr.zones[scar.area].never
        and scar.area not in a.exam.skin_cancer_areas
    )


def plan_areas(
    a: Assessment, cr: ClinicRules
) -> tuple[tuple[AreaPlan, ...], list[str]]:
    """One row per scarred area, and the areas whose depth the device capped."""
    rules = cr.rules
    cap = device_cap(a, cr)
    dev_rule = device_rule(a.device, rules)
    step = cr.get_num("reaction_depth_step_mm")
    lowered = _last_depths_after_reaction(a, cr)
    rows: list[AreaPlan] = []
    capped: list[str] = []
    for area in sorted_areas([s.area for s in a.scars]):
        zone = cr.zones[area]
        scars = [s for s in a.scars if s.area == area]
        treatable = [s for s in scars if _treatable(s, a, cr)]
        if zone.never:
            rows.append(
                AreaPlan(
                    area,
                    False,
                    None,
                    "Inside the orbital rim: never needled.",
                    sort_ids(zone.evidence),
                )
            )
            continue
        if area in a.exam.skin_cancer_areas:
            ev = rules.findings["skin_cancer_in_area"].evidence
            rows.append(
                AreaPlan(
                    area, False, None, "Active skin cancer in this area.", sort_ids(ev)
                )
            )
            continue
        if not treatable:
            ind = rules.indication_of_kind[scars[0].kind]
            rows.append(
                AreaPlan(
                    area,
                    False,
                    None,
                    f"Only {ind.label} here: a physician-only indication, not planned "
                    "automatically.",
                    sort_ids(ind.evidence),
                )
            )
            continue
        low, high = zone.min_mm, zone.max_mm
        evidence = list(zone.evidence)
        notes = []
        if cap < high:
            high, low = cap, min(low, cap)
            capped.append(area)
            notes.append(f"capped at {cap:g} mm by the device")
            evidence += (
                dev_rule.evidence
                if dev_rule
                else rules.findings["depth_capped_by_device"].evidence
            )
        if area in lowered:
            reduced = max(lowered[area] - step, rules.limits.depth_minimum_mm)
            if reduced < high:
                high, low = reduced, min(low, reduced)
                notes.append(
                    f"lowered to {reduced:g} mm after an adverse reaction at "
                    f"{lowered[area]:g} mm"
                )
                evidence += cr.sources["reaction_depth_step_mm"]
        labels = sorted({cr.rules.indication_of_kind[s.kind].label for s in treatable})
        reason = (
            f"{', '.join(labels).capitalize()}: start at {low:g} mm and raise "
            f"towards even pinpoint bleeding, up to {high:g} mm"
        )
        if notes:
            reason += f" ({'; '.join(notes)})"
        if len(treatable) < len(scars):
            reason += "; hypertrophic scars or keloids here are left to the physician"
        rows.append(
            AreaPlan(
                area,
                True,
                DepthRange(round(low, 2), round(high, 2)),
                reason + ".",
                sort_ids(evidence),
            )
        )
    return tuple(rows), capped


def _last_depths_after_reaction(a: Assessment, cr: ClinicRules) -> dict[str, float]:
    """Per area, the depth used in the latest session whose reaction lowers depth."""
    reactions = cr.rules.reactions
    depths: dict[str, float] = {}
    for session in sorted(a.prior_sessions, key=lambda s: s.on):
        if session.reaction in (None, "expected"):
            continue
        assert session.reaction is not None  # noqa: S101 - narrowed above
        if reactions[session.reaction].lower_depth:
            for ad in session.areas:
                depths[ad.area] = ad.depth_mm
    return depths


def active_indications(
    a: Assessment, areas: Iterable[AreaPlan], cr: ClinicRules
) -> tuple[Indication, ...]:
    """Indications with at least one scar that will be treated, in rules order."""
    treated = {row.area for row in areas if row.treat}
    codes = {
        cr.rules.indication_of_kind[s.kind].code
        for s in a.scars
        if s.area in treated and _treatable(s, a, cr)
    }
    return tuple(i for i in cr.rules.indications if i.code in codes)


def planned_for(ind: Indication, a: Assessment) -> int:
    """Planned sessions for one indication: by the worst grade when grades are given."""
    grades = [s.grade for s in a.scars if s.kind in ind.kinds and s.grade is not None]
    if not grades or not ind.sessions_by_grade:
        return ind.sessions_default
    return ind.sessions_by_grade.get(max(grades), ind.sessions_default)


def session_count(a: Assessment, indications: tuple[Indication, ...]) -> SessionCount:
    if not indications:
        return SessionCount(0, 0, 0)
    return SessionCount(
        min=min(i.sessions_min for i in indications),
        max=max(i.sessions_max for i in indications),
        planned=max(planned_for(i, a) for i in indications),
    )


def interval_window(a: Assessment, cr: ClinicRules) -> IntervalWindow:
    """The clinic's window, lengthened after a previous adverse reaction. Severity never
    shortens it (S3)."""
    extra = reaction_extension_days(a, cr)
    return IntervalWindow(
        cr.get_int("interval_min_days") + extra,
        cr.get_int("interval_target_days") + extra,
        cr.get_int("interval_max_days") + extra,
    )


def plan_adjuncts(
    a: Assessment,
    findings: tuple[Finding, ...],
    indications: tuple[Indication, ...],
    cr: ClinicRules,
) -> tuple[Adjunct, ...]:
    codes = {f.code for f in findings}
    active = {i.code for i in indications}
    conditions = {
        "rolling": any(s.kind == "rolling" and _treatable(s, a, cr) for s in a.scars),
        "icepick_predominant": "icepick_predominant" in codes,
        "atrophic_acne": "atrophic_acne" in active,
        "herpes_history": a.history.herpes_simplex_history,
        "burn": "burn" in active,
        "keloid_hypertrophic": "keloid_or_hypertrophic_scar" in codes,
    }
    return tuple(
        Adjunct(r.code, r.timing, r.min_gap_days, r.reason, sort_ids(r.evidence))
        for r in cr.rules.adjuncts
        if conditions[r.when]
    )


@lru_cache(maxsize=64)
def aftercare_items(cr: ClinicRules) -> tuple[AftercareItem, ...]:
    return tuple(
        AftercareItem(r.from_day, r.to_day, r.advice, r.basis, sort_ids(r.evidence))
        for r in cr.rules.aftercare
    )


@lru_cache(maxsize=64)
def follow_up_visits(cr: ClinicRules) -> tuple[FollowUp, ...]:
    """Review visits (evidence: judge at >= 3 months); maintenance only if opted in."""
    rows = [
        FollowUp("review", d, sort_ids(cr.sources["review_after_days"]))
        for d in cr.get_days("review_after_days")
    ]
    every = cr.get_int("maintenance_every_days")
    if every:
        ev = sort_ids(cr.sources["maintenance_every_days"])
        rows += [
            FollowUp("maintenance", every * k, ev)
            for k in range(1, max(1, 365 // every) + 1)
        ]
    return tuple(sorted(rows, key=lambda r: (r.after_last_session_days, r.kind)))


def explain(
    a: Assessment,
    cr: ClinicRules,
    findings: tuple[Finding, ...],
    decision: str,
    indications: tuple[Indication, ...],
    sessions: SessionCount,
    planned: int,
    interval: IntervalWindow,
) -> tuple[Reason, ...]:
    """Plain-language reasons for the plan, each with its sources."""
    out: list[Reason] = []
    deciding = [f for f in findings if f.severity in ("block", "defer")]
    if decision == "decline":
        codes = ", ".join(sorted({f.code for f in deciding if f.severity == "block"}))
        out.append(
            Reason(
                f"Not treated: {codes} (a contraindication in the device labelling).",
                sort_ids(i for f in deciding for i in f.evidence),
            )
        )
    elif decision == "defer":
        codes = ", ".join(sorted({f.code for f in deciding}))
        out.append(
            Reason(
                f"Treatment waits ({codes}); re-screen before the first session.",
                sort_ids(i for f in deciding for i in f.evidence),
            )
        )
    if indications:
        labels = ", ".join(i.label for i in indications)
        grades = [
            s.grade for s in a.scars if s.grade is not None and s.kind in ACNE_KINDS
        ]
        graded = f" Worst Goodman & Baron grade: {max(grades)}." if grades else ""
        out.append(
            Reason(
                f"Treating {labels}: {sessions.planned} sessions suggested within "
                f"the published range of {sessions.min}-{sessions.max}.{graded} "
                "More severe scarring gets more sessions, never shorter intervals; "
                "review progress before adding sessions.",
                sort_ids([*(e for i in indications for e in i.evidence), "S3"]),
            )
        )
    else:
        out.append(
            Reason(
                "No scar in this assessment can be planned automatically.",
                sort_ids(i for f in findings for i in f.evidence) or ("S5",),
            )
        )
    if planned == 0 and decision == "defer" and sessions.planned:
        out.append(
            Reason(
                "Sessions are scheduled once the deferral has a known end date.",
                sort_ids(i for f in deciding for i in f.evidence),
            )
        )
    interval_ev = [
        i
        for n in ("interval_min_days", "interval_target_days", "interval_max_days")
        for i in cr.sources[n]
    ]
    extra = reaction_extension_days(a, cr)
    lengthened = (
        f" (lengthened by {extra} days after an adverse reaction)" if extra else ""
    )
    if extra:
        interval_ev += cr.sources["reaction_interval_extension_days"]
    out.append(
        Reason(
            f"Sessions about {interval.target} days apart, never fewer than "
            f"{interval.min} and at most {interval.max}{lengthened}. Each window "
            "counts from the previous session's target date; session 1 may be "
            f"booked up to {cr.get_int('first_session_window_days')} days after the "
            "earliest start.",
            sort_ids([*interval_ev, *cr.sources["first_session_window_days"]]),
        )
    )
    out.append(
        Reason(
            "Depth is set per zone, capped by the zone and the device, starting low "
            "and raised to the clinical endpoint; consumer depth charts are not "
            "used. The orbital rim is never needled.",
            ("S1", "S5", "S44"),
        )
    )
    judge = cr.rules.limits
    out.append(
        Reason(
            "Judge the result no earlier than "
            f"{judge.response_judge_after_days} days after the last session, "
            "ideally at 6-12 months: improvement keeps accruing after the series. "
            "No trial of maintenance exists, so none is planned unless the clinic "
            "protocol sets it.",
            sort_ids(
                [*judge.response_judge_evidence, *cr.sources["maintenance_every_days"]]
            ),
        )
    )
    out.append(
        Reason(
            "Use only products meant for needled skin during a session: topical "
            "products not approved for injection (such as vitamin C serums) have "
            "caused granulomas.",
            ("S65", "S66"),
        )
    )
    overridden = [n for n, _ in cr.protocol.settings]
    overridden += [f"zone_depth_mm.{z}" for z, _, _ in cr.protocol.zone_depth_mm]
    overridden += [
        f"procedure_spacing_days.{k}" for k, _ in cr.protocol.procedure_spacing_days
    ]
    if overridden:
        out.append(
            Reason(
                f"Clinic protocol '{cr.protocol.name}' sets: "
                f"{', '.join(sorted(overridden))}.",
                sort_ids(f"policy:{n}" for n in overridden),
            )
        )
    return tuple(out)


def plan_many(
    assessments: Iterable[Assessment],
    protocol: Protocol = DEFAULT_PROTOCOL,
    rules: Rules | None = None,
) -> list[SeriesPlan]:
    """Plans for many assessments with one rules object (used by the benchmark)."""
    rules = rules or load_rules()
    return [plan_series(a, protocol, rules) for a in assessments]
