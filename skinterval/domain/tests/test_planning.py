"""Indications, session counts, interval windows, depth caps, adjuncts, follow-up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skinterval.domain.plan import DepthRange
from skinterval.domain.tests.factories import codes, data, plan

# (scar kind, area, sessions min, max, planned)
INDICATIONS = [
    ("rolling", "cheeks", 1, 8, 3),
    ("boxcar", "temples", 1, 8, 3),
    ("icepick", "chin", 1, 8, 3),
    ("macular", "cheeks", 1, 8, 3),
    ("surgical", "abdomen", 1, 6, 3),
    ("traumatic", "arms", 1, 6, 3),
    ("burn", "back", 1, 4, 3),
    ("striae_rubra", "thighs", 1, 6, 3),
    ("striae_alba", "abdomen", 1, 6, 3),
    ("hypertrophic", "chest", 0, 0, 0),
    ("keloid", "chest", 0, 0, 0),
]


@pytest.mark.parametrize(("kind", "area", "lo", "hi", "planned"), INDICATIONS)
def test_each_indication(kind, area, lo, hi, planned):
    scar = {"area": area, "kind": kind}
    if kind in ("surgical", "traumatic", "burn"):
        scar["wound_closed_on"] = "2024-01-01"
    p = plan(data(scars=[scar]))
    assert (p.sessions.min, p.sessions.max, p.sessions.planned) == (lo, hi, planned)
    assert len(p.schedule) == planned
    [row] = p.areas
    assert row.treat == (planned > 0)
    assert row.evidence


@pytest.mark.parametrize(("grade", "planned"), [(1, 3), (2, 3), (3, 4), (4, 6)])
def test_more_severe_acne_scarring_gets_more_sessions_not_shorter_intervals(
    grade, planned
):
    p = plan(data(scars=[{"area": "cheeks", "kind": "boxcar", "grade": grade}]))
    assert p.sessions.planned == planned
    assert (p.interval_days.min, p.interval_days.target, p.interval_days.max) == (
        28,
        28,
        42,
    )


def test_worst_grade_drives_session_count():
    p = plan(
        data(
            scars=[
                {"area": "cheeks", "kind": "rolling", "grade": 2},
                {"area": "temples", "kind": "boxcar", "grade": 4},
            ]
        )
    )
    assert p.sessions.planned == 6


def test_mixed_indications_take_widest_range_and_most_sessions():
    p = plan(
        data(
            scars=[
                {"area": "cheeks", "kind": "rolling", "grade": 3},
                {"area": "abdomen", "kind": "striae_alba"},
            ]
        )
    )
    assert (p.sessions.min, p.sessions.max, p.sessions.planned) == (1, 8, 4)


def test_schedule_chains_from_previous_target():
    p = plan(data(scars=[{"area": "cheeks", "kind": "rolling", "grade": 3}]))
    first, *rest = p.schedule
    assert first.earliest_on == first.target_on == date(2025, 3, 3)
    assert first.latest_on == date(2025, 3, 17)
    prev = first
    for row in rest:
        assert row.earliest_on == prev.target_on + timedelta(28)
        assert row.target_on == prev.target_on + timedelta(28)
        assert row.latest_on == prev.target_on + timedelta(42)
        prev = row
    assert [r.number for r in p.schedule] == [1, 2, 3, 4]


# (area, device max, expected depth range or None when not treated, capped by device)
DEPTHS = [
    ("cheeks", None, DepthRange(1.0, 1.5), False),
    ("forehead", None, DepthRange(0.5, 1.0), False),
    ("back", None, DepthRange(1.0, 2.0), False),
    ("periorbital", None, None, False),
    ("periorbital", 0.5, None, False),
    ("cheeks", 1.2, DepthRange(1.0, 1.2), True),
    ("cheeks", 0.5, DepthRange(0.5, 0.5), True),
    ("back", 1.5, DepthRange(1.0, 1.5), True),
    ("forehead", 2.0, DepthRange(0.5, 1.0), False),
    ("cheeks", 5.0, DepthRange(1.0, 1.5), False),
]


@pytest.mark.parametrize(("area", "device_max", "expected", "capped"), DEPTHS)
def test_depth_is_capped_by_zone_and_device(area, device_max, expected, capped):
    scar = {"area": area, "kind": "boxcar"}
    if area == "back":
        scar = {"area": area, "kind": "burn", "wound_closed_on": "2020-01-01"}
    raw = data(scars=[scar])
    if device_max is not None:
        raw["device"] = {"name": "Generic pen", "max_depth_mm": device_max}
    p = plan(raw)
    [row] = p.areas
    assert row.depth_mm == expected
    assert row.treat == (expected is not None)
    assert ("depth_capped_by_device" in codes(p)) == capped


def test_skinpen_labelling_caps_at_one_and_a_half_mm():
    raw = data(
        scars=[{"area": "back", "kind": "burn", "wound_closed_on": "2020-01-01"}],
        device={"name": "SkinPen Precision", "max_depth_mm": 2.5},
    )
    p = plan(raw)
    assert p.areas[0].depth_mm == DepthRange(1.0, 1.5)
    assert "S5" in p.areas[0].evidence
    assert codes(p)["depth_capped_by_device"] == "info"


def test_orbital_rim_is_never_treated_but_other_areas_are():
    p = plan(
        data(
            scars=[
                {"area": "periorbital", "kind": "boxcar"},
                {"area": "cheeks", "kind": "boxcar"},
            ]
        )
    )
    rows = {r.area: r for r in p.areas}
    assert not rows["periorbital"].treat
    assert rows["periorbital"].depth_mm is None
    assert rows["cheeks"].treat
    assert p.sessions.planned == 3


def test_only_periorbital_scars_plan_no_sessions():
    p = plan(data(scars=[{"area": "periorbital", "kind": "boxcar"}]))
    assert p.sessions.planned == 0
    assert p.schedule == ()


def test_skin_cancer_area_is_not_treated():
    p = plan(data(exam={"skin_cancer_areas": ["cheeks"]}))
    assert not p.areas[0].treat


def test_previous_adverse_reaction_lowers_depth_and_lengthens_interval():
    p = plan(
        data(
            prior_sessions=[
                {
                    "on": "2024-06-01",
                    "areas": [{"area": "cheeks", "depth_mm": 1.5}],
                    "reaction": "pih",
                }
            ]
        )
    )
    assert p.areas[0].depth_mm == DepthRange(1.0, 1.25)
    assert p.interval_days.min == 42
    assert p.interval_days.target == 42


# (condition parts, adjunct code expected)
ADJUNCTS = [
    ({"scars": [{"area": "cheeks", "kind": "rolling"}]}, "subcision"),
    ({"scars": [{"area": "cheeks", "kind": "icepick", "count": 9}]}, "tca_cross"),
    ({"scars": [{"area": "cheeks", "kind": "boxcar"}]}, "prp"),
    ({"scars": [{"area": "cheeks", "kind": "boxcar"}]}, "glycolic_peel"),
    ({"scars": [{"area": "cheeks", "kind": "boxcar"}]}, "fractional_nonablative_laser"),
    ({"history": {"herpes_simplex_history": True}}, "antiviral_prophylaxis"),
    (
        {"scars": [{"area": "arms", "kind": "burn", "wound_closed_on": "2020-01-01"}]},
        "vitamin_a_c_pretreatment",
    ),
    ({"scars": [{"area": "chest", "kind": "keloid"}]}, "steroid_or_silicone"),
]


@pytest.mark.parametrize(("parts", "code"), ADJUNCTS)
def test_adjuncts_follow_their_conditions(parts, code):
    p = plan(data(**parts))
    assert code in {a.code for a in p.adjuncts}


def test_no_subcision_or_tca_cross_for_striae():
    p = plan(data(scars=[{"area": "abdomen", "kind": "striae_rubra"}]))
    assert {a.code for a in p.adjuncts} == set()


def test_follow_up_reviews_at_3_and_6_months_without_maintenance():
    p = plan(data())
    assert [(f.kind, f.after_last_session_days) for f in p.follow_up] == [
        ("review", 90),
        ("review", 180),
    ]


def test_aftercare_rows_are_labelled_evidence_or_policy():
    p = plan(data())
    assert {a.basis for a in p.aftercare} == {"evidence", "policy"}
    for row in p.aftercare:
        if row.basis == "policy":
            assert any(e.startswith("policy:") for e in row.evidence)
        else:
            assert not any(e.startswith("policy:") for e in row.evidence)


def test_every_evidence_id_used_is_cited():
    p = plan(data(history={"herpes_simplex_history": True}, patient={"fitzpatrick": 6}))
    cited = {c.id for c in p.evidence}
    for group in (
        p.findings,
        p.areas,
        p.adjuncts,
        p.aftercare,
        p.follow_up,
        p.rationale,
    ):
        for item in group:
            assert set(item.evidence) <= cited
