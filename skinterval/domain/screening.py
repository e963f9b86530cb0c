"""Screening: findings from history, exam, recent procedures, scar maturity, skin type.

Each finding's severity comes from the rules data; wash-out and spacing lengths
come from the clinic's settings, so a clinic override is cited as its policy. A
wash-out's `until` is the day it clears: on that day the finding no longer
applies.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Protocol as CallableType

from skinterval.domain.assessment import Assessment, Device, sorted_areas
from skinterval.domain.evidence import sort_ids
from skinterval.domain.plan import Finding
from skinterval.domain.protocol import ClinicRules
from skinterval.domain.ruleset import DeviceRule, Rules

ACNE_KINDS = frozenset({"rolling", "boxcar", "icepick"})


class _Add(CallableType):
    """The signature of `screen`'s local `add` helper, passed to its parts."""

    def __call__(
        self,
        key: str,
        *,
        message: str | None = None,
        until: date | None = None,
        areas: Iterable[str] = (),
        evidence: Iterable[str] | None = None,
    ) -> None: ...


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Aug + 6 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def device_rule(device: Device | None, rules: Rules) -> DeviceRule | None:
    """The labelling rule for a device, matched on its name (e.g. SkinPen)."""
    if device is None:
        return None
    name = device.name.lower()
    return next((d for d in rules.devices if d.match in name), None)


def icepick_predominant(a: Assessment) -> bool:
    """Ice-pick scars outnumber every other atrophic acne type (by count, else
    one per row)."""
    weight = dict.fromkeys(ACNE_KINDS, 0)
    for scar in a.scars:
        if scar.kind in ACNE_KINDS:
            weight[scar.kind] += 1 if scar.count is None else scar.count
    icepick = weight.pop("icepick")
    return icepick > 0 and icepick > max(weight.values())


def screen(a: Assessment, cr: ClinicRules) -> list[Finding]:
    """All findings for one assessment, unsorted."""
    rules = cr.rules
    out: list[Finding] = []
    on = a.assessed_on
    scar_areas = {s.area for s in a.scars}

    def add(
        key: str,
        *,
        message: str | None = None,
        until: date | None = None,
        areas: Iterable[str] = (),
        evidence: Iterable[str] | None = None,
    ) -> None:
        rule = rules.findings[key]
        out.append(
            Finding(
                code=rule.code,
                severity=rule.severity,
                message=message or rule.message,
                evidence=sort_ids(rule.evidence if evidence is None else evidence),
                until=until,
                areas=sorted_areas(list(areas)),
            )
        )

    p, h, e = a.patient, a.history, a.exam
    if p.pregnant or p.nursing:
        add("pregnancy_or_nursing")
    for key, areas in (
        ("active_infection", e.active_infection_areas),
        ("open_wound", e.open_wound_areas),
    ):
        inside = scar_areas.intersection(areas)
        if inside:
            add(key, areas=inside)
        if set(areas) - inside:
            add(f"{key}_elsewhere", areas=set(areas) - inside)
    cancer_in = scar_areas.intersection(e.skin_cancer_areas)
    if cancer_in:
        add("skin_cancer_in_area", areas=cancer_in)
    if set(e.skin_cancer_areas) - cancer_in:
        add("skin_cancer_elsewhere", areas=set(e.skin_cancer_areas) - cancer_in)
    if e.active_herpes:
        add("active_herpes")
    for flag, key in (
        (h.metal_allergy, "metal_allergy"),
        (h.anaesthetic_allergy, "anaesthetic_allergy"),
        (h.bleeding_disorder, "bleeding_disorder"),
        (h.anticoagulant, "anticoagulant"),
        (h.immunosuppressed, "immunosuppression"),
        (h.keloid_tendency, "keloid_tendency"),
        (h.herpes_simplex_history, "herpes_history"),
        (h.diabetes == "uncontrolled", "diabetes_uncontrolled"),
        (e.active_acne not in (None, "none"), "active_acne"),
        (p.fitzpatrick >= 4, "pih_risk"),
        (icepick_predominant(a), "icepick_predominant"),
        (any(s.kind == "macular" for s in a.scars), "macular_scars"),
        (any(s.kind == "striae_alba" for s in a.scars), "striae_alba"),
    ):
        if flag:
            add(key)
    _screen_isotretinoin(a, cr, add)
    _screen_dated(a, cr, add)
    _screen_scars(a, cr, add)
    if "periorbital" in scar_areas:
        add("orbital_rim", areas=["periorbital"])
    if device_rule(a.device, rules) is not None and age_on(p.birth_date, on) < 22:
        add("below_labelled_age")
    return out


def _screen_isotretinoin(a: Assessment, cr: ClinicRules, add: _Add) -> None:
    iso = a.history.isotretinoin
    if iso is None or iso.status == "never":
        return
    if iso.status == "current":
        add("isotretinoin_current")
        return
    washout = cr.get_int("isotretinoin_washout_months")
    caution = cr.get_int("isotretinoin_caution_months")
    w_ev = cr.sources["isotretinoin_washout_months"]
    c_ev = cr.sources["isotretinoin_caution_months"]
    if iso.stopped_on is None:
        if washout > 0:
            add(
                "isotretinoin_recent",
                message="Isotretinoin stopped on an unknown date: record the date; "
                f"needling waits {washout} months after stopping.",
                evidence=w_ev,
            )
        else:
            add("isotretinoin_recent_caution", evidence=c_ev)
        return
    clears = add_months(iso.stopped_on, washout)
    if a.assessed_on < clears:
        add(
            "isotretinoin_recent",
            message=f"Isotretinoin stopped on {iso.stopped_on.isoformat()}: "
            f"needling waits {washout} months, until {clears.isoformat()}.",
            until=clears,
            evidence=w_ev,
        )
    elif a.assessed_on < add_months(iso.stopped_on, caution):
        add(
            "isotretinoin_recent_caution",
            message=f"Isotretinoin stopped on {iso.stopped_on.isoformat()}, less than "
            f"{caution} months ago; consensus papers found no evidence that needling "
            "must wait.",
            evidence=c_ev,
        )


def _screen_dated(a: Assessment, cr: ClinicRules, add: _Add) -> None:
    """Radiotherapy window, spacing after recent procedures and previous sessions."""
    on = a.assessed_on
    radio = a.history.radiotherapy_to_area_on
    if radio is not None:
        months = cr.get_int("radiotherapy_window_months")
        clears = add_months(radio, months)
        if on < clears:
            add(
                "radiotherapy_recent",
                message=f"Radiotherapy to a treatment area on {radio.isoformat()}: "
                f"needling waits {months} months, until {clears.isoformat()}.",
                until=clears,
                evidence=cr.sources["radiotherapy_window_months"],
            )
    scar_areas = {s.area for s in a.scars}
    for proc in a.history.recent_procedures:
        if proc.area is not None and proc.area not in scar_areas:
            continue
        rule = cr.spacing[proc.kind]
        clears = proc.on + timedelta(rule.days)
        if clears > on:
            add(
                "recent_procedure",
                message=f"{proc.kind.replace('_', ' ').capitalize()} on "
                f"{proc.on.isoformat()}: first session from {clears.isoformat()} "
                f"({rule.days}-day spacing).",
                until=clears,
                areas=[] if proc.area is None else [proc.area],
                evidence=rule.evidence,
            )
    if a.prior_sessions:
        last = max(s.on for s in a.prior_sessions)
        gap = cr.get_int("interval_min_days") + reaction_extension_days(a, cr)
        clears = last + timedelta(gap)
        if clears > on:
            add(
                "recent_procedure",
                message=f"Last micro-needling session on {last.isoformat()}: next "
                f"session from {clears.isoformat()} ({gap}-day minimum interval).",
                until=clears,
                evidence=cr.sources["interval_min_days"],
            )
    reactions = sorted(
        {s.reaction for s in a.prior_sessions if s.reaction not in (None, "expected")}
    )
    if reactions:
        rules = cr.rules.reactions
        hold = any(rules[r].hold for r in reactions)
        key = "prior_adverse_reaction_review" if hold else "prior_adverse_reaction"
        evidence = [i for r in reactions for i in rules[r].evidence]
        evidence += cr.sources["reaction_depth_step_mm"]
        evidence += cr.sources["reaction_interval_extension_days"]
        base = cr.rules.findings[key].message
        add(
            key,
            message=f"{base} Recorded: {', '.join(reactions).replace('_', ' ')}.",
            evidence=evidence,
        )


def reaction_extension_days(a: Assessment, cr: ClinicRules) -> int:
    """Extra days between sessions when a previous session had a reaction that
    lengthens the interval (0 otherwise)."""
    rules = cr.rules.reactions
    if any(
        s.reaction not in (None, "expected") and rules[s.reaction].lengthen
        for s in a.prior_sessions
        if s.reaction is not None
    ):
        return cr.get_int("reaction_interval_extension_days")
    return 0


def _screen_scars(a: Assessment, cr: ClinicRules, add: _Add) -> None:
    """Keloid/hypertrophic scars; maturity of surgical, traumatic, burn scars."""
    rules = cr.rules
    keloid = [s.area for s in a.scars if not rules.indication_of_kind[s.kind].auto_plan]
    if keloid:
        add("keloid_or_hypertrophic_scar", areas=keloid)
    immature: dict[str, tuple[date, list[str]]] = {}
    unknown: list[str] = []
    for scar in a.scars:
        setting = rules.indication_of_kind[scar.kind].maturity_setting
        if setting is None:
            continue
        if scar.wound_closed_on is None:
            unknown.append(scar.area)
            continue
        clears = scar.wound_closed_on + timedelta(cr.get_int(setting))
        if a.assessed_on < clears:
            latest, areas = immature.get(setting, (clears, []))
            immature[setting] = (max(latest, clears), [*areas, scar.area])
    for setting, (clears, areas) in sorted(immature.items()):
        add(
            "immature_scar",
            message=f"Scar closed less than {cr.get_int(setting)} days ago: first "
            f"session from {clears.isoformat()}.",
            until=clears,
            areas=areas,
            evidence=cr.sources[setting],
        )
    if unknown:
        add("scar_maturity_unknown", areas=unknown)
