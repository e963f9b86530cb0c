"""Hypothesis strategies: valid assessment JSON and valid clinic protocols."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from skinterval.domain.assessment import AREAS, PROCEDURE_KINDS, REACTIONS, SCAR_KINDS
from skinterval.domain.protocol import Protocol, parse_protocol
from skinterval.domain.ruleset import load_rules

ASSESSED = st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31))


def _before(on: date, max_days: int) -> st.SearchStrategy[str]:
    return st.integers(0, max_days).map(lambda d: (on - timedelta(d)).isoformat())


@st.composite
def assessments(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON-shaped assessment valid against assessment.schema.json."""
    on = draw(ASSESSED)
    areas = st.sampled_from(AREAS)
    booleans = st.booleans()
    patient = draw(
        st.fixed_dictionaries(
            {"birth_date": _before(on, 80 * 365), "fitzpatrick": st.integers(1, 6)},
            optional={"pregnant": booleans, "nursing": booleans},
        )
    )
    iso = st.one_of(
        st.fixed_dictionaries({"status": st.sampled_from(["never", "current"])}),
        st.fixed_dictionaries(
            {"status": st.just("stopped")},
            optional={"stopped_on": st.one_of(st.none(), _before(on, 800))},
        ),
    )
    procedure = st.fixed_dictionaries(
        {"kind": st.sampled_from(PROCEDURE_KINDS), "on": _before(on, 200)},
        optional={"area": areas},
    )
    history = st.fixed_dictionaries(
        {},
        optional={
            "isotretinoin": iso,
            "anticoagulant": booleans,
            "bleeding_disorder": booleans,
            "keloid_tendency": booleans,
            "immunosuppressed": booleans,
            "diabetes": st.sampled_from(["none", "controlled", "uncontrolled"]),
            "herpes_simplex_history": booleans,
            "metal_allergy": booleans,
            "anaesthetic_allergy": booleans,
            "radiotherapy_to_area_on": st.one_of(st.none(), _before(on, 400)),
            "recent_procedures": st.lists(procedure, max_size=3),
        },
    )
    exam = st.fixed_dictionaries(
        {},
        optional={
            "active_infection_areas": st.lists(areas, max_size=2),
            "open_wound_areas": st.lists(areas, max_size=2),
            "skin_cancer_areas": st.lists(areas, max_size=1),
            "active_herpes": booleans,
            "active_acne": st.sampled_from(["none", "mild", "moderate", "severe"]),
        },
    )
    scar = st.fixed_dictionaries(
        {"area": areas, "kind": st.sampled_from(SCAR_KINDS)},
        optional={
            "grade": st.integers(1, 4),
            "count": st.integers(0, 60),
            "wound_closed_on": _before(on, 400),
        },
    )
    device = st.fixed_dictionaries(
        {
            "name": st.sampled_from(["SkinPen Precision", "Dermapen 4", "roller"]),
            "max_depth_mm": st.sampled_from(
                [0.25, 0.5, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 5]
            ),
        }
    )
    session = st.fixed_dictionaries(
        {"on": _before(on, 400)},
        optional={
            "areas": st.lists(
                st.fixed_dictionaries(
                    {
                        "area": areas,
                        "depth_mm": st.sampled_from([0, 0.5, 1.0, 1.5, 2.5]),
                    }
                ),
                max_size=2,
            ),
            "reaction": st.sampled_from(REACTIONS),
        },
    )
    optional = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "history": history,
                "exam": exam,
                "device": device,
                "prior_sessions": st.lists(session, max_size=3),
            },
        )
    )
    scars = draw(st.lists(scar, min_size=1, max_size=4))
    return {
        "assessed_on": on.isoformat(),
        "patient": patient,
        "scars": scars,
        **optional,
    }


@st.composite
def protocols(draw: st.DrawFn) -> Protocol:
    """Valid clinic protocols within the hard limits."""
    rules = load_rules()
    raw: dict[str, Any] = {"name": "Generated clinic"}
    if draw(st.booleans()):
        lo = draw(st.integers(14, 60))
        target = draw(st.integers(lo, 70))
        raw |= {
            "interval_min_days": lo,
            "interval_target_days": target,
            "interval_max_days": draw(st.integers(target, 120)),
        }
    if draw(st.booleans()):
        raw["isotretinoin_washout_months"] = draw(st.integers(0, 12))
    if draw(st.booleans()):
        raw["maintenance_every_days"] = draw(st.sampled_from([0, 90, 182, 365]))
    if draw(st.booleans()):
        area = draw(st.sampled_from([a for a in AREAS if a != "periorbital"]))
        cap = rules.zones[area].cap_mm
        hi = draw(
            st.sampled_from([v for v in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0) if v <= cap])
        )
        raw["zone_depth_mm"] = {area: {"min": hi / 2, "max": hi}}
    return parse_protocol(raw, rules)
