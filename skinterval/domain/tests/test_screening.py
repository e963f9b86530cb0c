"""Each contraindication, its absence, and every wash-out boundary."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from skinterval.domain.screening import add_months
from skinterval.domain.tests.factories import codes, data, plan

# (label, assessment parts, expected code, expected severity)
CONTRAINDICATIONS: list[tuple[str, dict[str, Any], str, str]] = [
    ("pregnant", {"patient": {"pregnant": True}}, "pregnancy_or_nursing", "block"),
    ("nursing", {"patient": {"nursing": True}}, "pregnancy_or_nursing", "block"),
    (
        "infection in field",
        {"exam": {"active_infection_areas": ["cheeks"]}},
        "active_infection",
        "defer",
    ),
    (
        "infection elsewhere",
        {"exam": {"active_infection_areas": ["back"]}},
        "active_infection",
        "caution",
    ),
    ("active herpes", {"exam": {"active_herpes": True}}, "active_herpes", "defer"),
    ("open wound", {"exam": {"open_wound_areas": ["cheeks"]}}, "open_wound", "defer"),
    (
        "open wound elsewhere",
        {"exam": {"open_wound_areas": ["arms"]}},
        "open_wound",
        "caution",
    ),
    (
        "skin cancer in field",
        {"exam": {"skin_cancer_areas": ["cheeks"]}},
        "skin_cancer_in_area",
        "block",
    ),
    (
        "skin cancer elsewhere",
        {"exam": {"skin_cancer_areas": ["back"]}},
        "skin_cancer_elsewhere",
        "review",
    ),
    ("metal allergy", {"history": {"metal_allergy": True}}, "metal_allergy", "block"),
    (
        "anaesthetic allergy",
        {"history": {"anaesthetic_allergy": True}},
        "anaesthetic_allergy",
        "block",
    ),
    (
        "bleeding disorder",
        {"history": {"bleeding_disorder": True}},
        "bleeding_disorder",
        "block",
    ),
    (
        "isotretinoin now",
        {"history": {"isotretinoin": {"status": "current"}}},
        "isotretinoin_current",
        "block",
    ),
    (
        "isotretinoin stopped 1 month ago",
        {
            "history": {
                "isotretinoin": {"status": "stopped", "stopped_on": "2025-02-01"}
            }
        },
        "isotretinoin_recent",
        "defer",
    ),
    (
        "isotretinoin stopped, date unknown",
        {"history": {"isotretinoin": {"status": "stopped", "stopped_on": None}}},
        "isotretinoin_recent",
        "defer",
    ),
    ("anticoagulant", {"history": {"anticoagulant": True}}, "anticoagulant", "review"),
    (
        "immunosuppressed",
        {"history": {"immunosuppressed": True}},
        "immunosuppression",
        "review",
    ),
    ("active acne", {"exam": {"active_acne": "mild"}}, "active_acne", "review"),
    (
        "keloid tendency",
        {"history": {"keloid_tendency": True}},
        "keloid_tendency",
        "review",
    ),
    (
        "keloid scar",
        {"scars": [{"area": "chest", "kind": "keloid"}]},
        "keloid_or_hypertrophic_scar",
        "review",
    ),
    (
        "hypertrophic scar",
        {"scars": [{"area": "arms", "kind": "hypertrophic"}]},
        "keloid_or_hypertrophic_scar",
        "review",
    ),
    (
        "herpes history",
        {"history": {"herpes_simplex_history": True}},
        "herpes_history",
        "caution",
    ),
    (
        "uncontrolled diabetes",
        {"history": {"diabetes": "uncontrolled"}},
        "diabetes_uncontrolled",
        "review",
    ),
    (
        "radiotherapy last month",
        {"history": {"radiotherapy_to_area_on": "2025-02-01"}},
        "radiotherapy_recent",
        "defer",
    ),
    (
        "filler last week",
        {"history": {"recent_procedures": [{"kind": "filler", "on": "2025-02-24"}]}},
        "recent_procedure",
        "caution",
    ),
    (
        "new surgical scar",
        {
            "scars": [
                {"area": "abdomen", "kind": "surgical", "wound_closed_on": "2025-02-01"}
            ]
        },
        "immature_scar",
        "defer",
    ),
    ("dark skin", {"patient": {"fitzpatrick": 5}}, "pih_risk", "caution"),
    (
        "ice-pick scars predominate",
        {"scars": [{"area": "cheeks", "kind": "icepick", "count": 30}]},
        "icepick_predominant",
        "info",
    ),
    (
        "periorbital scars",
        {
            "scars": [
                {"area": "periorbital", "kind": "boxcar"},
                {"area": "cheeks", "kind": "boxcar"},
            ]
        },
        "orbital_rim",
        "caution",
    ),
    (
        "device deeper range than allowed",
        {"device": {"name": "Generic pen", "max_depth_mm": 1.0}},
        "depth_capped_by_device",
        "info",
    ),
    (
        "previous PIH",
        {"prior_sessions": [{"on": "2024-06-01", "reaction": "pih"}]},
        "prior_adverse_reaction",
        "caution",
    ),
    (
        "previous granuloma",
        {"prior_sessions": [{"on": "2024-06-01", "reaction": "granuloma"}]},
        "prior_adverse_reaction",
        "review",
    ),
]

EXPECTED_DECISION = {"block": "decline", "defer": "defer"}


@pytest.mark.parametrize(
    ("parts", "code", "severity"),
    [pytest.param(p, c, s, id=label) for label, p, c, s in CONTRAINDICATIONS],
)
def test_finding_present_with_its_severity(parts, code, severity):
    p = plan(data(**parts))
    assert codes(p)[code] == severity
    assert p.decision == EXPECTED_DECISION.get(severity, "proceed")
    assert p.requires_physician_review == (severity == "review")


ALL_CODES = sorted({c for _, _, c, _ in CONTRAINDICATIONS})


@pytest.mark.parametrize("code", ALL_CODES)
def test_clean_assessment_has_none_of_them(code):
    p = plan(data())
    assert code not in codes(p)
    assert p.decision == "proceed"
    assert p.earliest_start_on == date(2025, 3, 3)


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ({"history": {"isotretinoin": {"status": "never"}}}, "isotretinoin_recent"),
        ({"history": {"diabetes": "controlled"}}, "diabetes_uncontrolled"),
        ({"exam": {"active_acne": "none"}}, "active_acne"),
        ({"patient": {"fitzpatrick": 3}}, "pih_risk"),
        (
            {"prior_sessions": [{"on": "2024-06-01", "reaction": "expected"}]},
            "prior_adverse_reaction",
        ),
        (
            {
                "scars": [
                    {"area": "cheeks", "kind": "icepick", "count": 5},
                    {"area": "cheeks", "kind": "rolling", "count": 5},
                ]
            },
            "icepick_predominant",
        ),
        (
            {
                "history": {
                    "recent_procedures": [
                        {"kind": "filler", "on": "2025-02-24", "area": "chin"}
                    ]
                }
            },
            "recent_procedure",
        ),
        (
            {"device": {"name": "Generic pen", "max_depth_mm": 2.5}},
            "depth_capped_by_device",
        ),
    ],
)
def test_near_misses_do_not_fire(parts, code):
    assert code not in codes(plan(data(**parts)))


# Wash-out boundaries: (label, parts, code, day it clears). On the day before the
# finding applies with until == clears; on the day it clears, it is gone.
WASHOUTS: list[tuple[str, dict[str, Any], str, date]] = [
    (
        "isotretinoin 6 months",
        {
            "history": {
                "isotretinoin": {"status": "stopped", "stopped_on": "2024-08-31"}
            }
        },
        "isotretinoin_recent",
        date(2025, 2, 28),  # 31 Aug + 6 months, clamped to the month's end
    ),
    (
        "radiotherapy 3 months",
        {"history": {"radiotherapy_to_area_on": "2024-11-15"}},
        "radiotherapy_recent",
        date(2025, 2, 15),
    ),
    (
        "surgical scar 42 days",
        {
            "scars": [
                {"area": "neck", "kind": "surgical", "wound_closed_on": "2025-01-10"}
            ]
        },
        "immature_scar",
        date(2025, 2, 21),
    ),
    (
        "burn scar 42 days",
        {"scars": [{"area": "arms", "kind": "burn", "wound_closed_on": "2025-01-10"}]},
        "immature_scar",
        date(2025, 2, 21),
    ),
    (
        "botulinum toxin 28 days",
        {
            "history": {
                "recent_procedures": [{"kind": "botulinum_toxin", "on": "2025-01-10"}]
            }
        },
        "recent_procedure",
        date(2025, 2, 7),
    ),
    (
        "glycolic peel 21 days",
        {
            "history": {
                "recent_procedures": [{"kind": "glycolic_peel", "on": "2025-01-10"}]
            }
        },
        "recent_procedure",
        date(2025, 1, 31),
    ),
    (
        "ablative laser 90 days",
        {
            "history": {
                "recent_procedures": [{"kind": "ablative_laser", "on": "2025-01-10"}]
            }
        },
        "recent_procedure",
        date(2025, 4, 10),
    ),
    (
        "previous needling session 28 days",
        {"prior_sessions": [{"on": "2025-01-10"}]},
        "recent_procedure",
        date(2025, 2, 7),
    ),
]


@pytest.mark.parametrize(
    ("parts", "code", "clears"),
    [pytest.param(p, c, d, id=label) for label, p, c, d in WASHOUTS],
)
def test_washout_day_before_and_day_it_clears(parts, code, clears):
    day_before = clears.toordinal() - 1
    before = plan(data(**parts, assessed_on=date.fromordinal(day_before).isoformat()))
    found = [f for f in before.findings if f.code == code]
    assert [f.until for f in found] == [clears]
    if found[0].severity == "defer":
        assert before.decision == "defer"
    assert before.earliest_start_on == clears
    assert before.schedule[0].earliest_on == clears

    on_day = plan(data(**parts, assessed_on=clears.isoformat()))
    assert code not in codes(on_day)
    assert on_day.decision == "proceed"
    assert on_day.earliest_start_on == clears


def test_unknown_end_of_deferral_gives_no_start_and_no_schedule():
    p = plan(data(exam={"active_herpes": True}))
    assert p.decision == "defer"
    assert p.earliest_start_on is None
    assert p.sessions.planned == 0
    assert p.schedule == ()


def test_defer_start_is_latest_until_of_defer_findings():
    p = plan(
        data(
            history={
                "radiotherapy_to_area_on": "2025-01-01",
                "isotretinoin": {"status": "stopped", "stopped_on": "2025-01-15"},
            }
        )
    )
    assert p.decision == "defer"
    assert p.earliest_start_on == date(2025, 7, 15)


def test_decline_has_no_start_and_no_sessions():
    p = plan(data(patient={"pregnant": True}, exam={"active_herpes": True}))
    assert p.decision == "decline"
    assert p.earliest_start_on is None
    assert p.sessions.planned == 0
    assert p.schedule == ()


def test_surgical_scar_without_closing_date_asks_to_confirm():
    p = plan(data(scars=[{"area": "abdomen", "kind": "surgical"}]))
    assert codes(p)["scar_maturity_unknown"] == "caution"
    assert p.decision == "proceed"


def test_skinpen_under_22_is_flagged():
    p = plan(
        data(
            patient={"birth_date": "2004-01-01"},
            device={"name": "SkinPen Precision", "max_depth_mm": 2.5},
        )
    )
    assert codes(p)["below_labelled_age"] == "caution"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 1, 15), 12, date(2025, 1, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 5, 5), 0, date(2024, 5, 5)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected
