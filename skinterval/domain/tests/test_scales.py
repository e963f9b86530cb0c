"""Scar scales: totals, validation, item versions and direction of improvement.

Expected totals are worked out by hand from clinical-evidence.md section 6, not from the
code, so a wrong weight or range in the data fails here.
"""

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skinterval.domain import scales
from skinterval.domain.scales import (
    SCALES,
    Better,
    Change,
    Scale,
    ScaleError,
    ScaleItem,
    compare,
    get_scale,
    is_improvement,
)

GB_QUANT_ZERO = {item.item_id: 0 for item in SCALES["gb_quantitative"].items}
ECCA_ZERO = {item.item_id: 0 for item in SCALES["ecca"].items}
POSAS_OBSERVER_ONES = {
    "vascularity": 1,
    "pigmentation": 1,
    "thickness": 1,
    "relief": 1,
    "pliability": 1,
    "surface_area": 1,
}
POSAS_PATIENT_ONES = {
    "pain": 1,
    "itch": 1,
    "colour": 1,
    "stiffness": 1,
    "thickness": 1,
    "irregularity": 1,
}
VSS_ZERO = {"vascularity": 0, "pigmentation": 0, "pliability": 0, "height": 0}


def _valid_items(scale: Scale) -> st.SearchStrategy[dict[str, int]]:
    """Any valid item mapping; optional items may be present or absent."""
    required = {
        i.item_id: st.integers(i.min_value, i.max_value)
        for i in scale.items
        if i.required
    }
    optional = {
        i.item_id: st.integers(i.min_value, i.max_value)
        for i in scale.items
        if not i.required
    }
    return st.fixed_dictionaries(required, optional=optional)


# --- registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "version", "total_min", "total_max", "verified", "better"),
    [
        ("gb_qualitative", "2006", 1, 4, True, Better.LOWER),
        ("gb_quantitative", "2006", 0, 84, False, Better.LOWER),
        ("ecca", "2007", 0, 540, False, Better.LOWER),
        ("vss_baryza_style", "common-baryza-style", 0, 13, False, Better.LOWER),
        ("vss_s102_variant", "training-page-s102", 0, 13, False, Better.LOWER),
        ("posas2_observer", "2.0", 6, 60, True, Better.LOWER),
        ("posas2_patient", "2.0", 6, 60, True, Better.LOWER),
        ("gais", "5-point", 1, 5, True, Better.LOWER),
        ("patient_global_0_10", "0-10", 0, 10, True, Better.UNSTATED),
    ],
)
def test_registry_matches_the_evidence(
    scale_id, version, total_min, total_max, verified, better
):
    scale = get_scale(scale_id)
    assert scale.scale_id == scale_id
    assert scale.version == version
    assert (scale.total_min, scale.total_max) == (total_min, total_max)
    assert scale.verified is verified
    assert scale.better is better


def test_registry_holds_exactly_the_documented_scales():
    assert set(SCALES) == {
        "gb_qualitative",
        "gb_quantitative",
        "ecca",
        "vss_baryza_style",
        "vss_s102_variant",
        "posas2_observer",
        "posas2_patient",
        "gais",
        "patient_global_0_10",
    }


@pytest.mark.parametrize(
    ("scale_id", "must_cite"),
    [
        ("gb_qualitative", "S95"),
        ("gb_quantitative", "S98"),
        ("ecca", "S99"),
        ("vss_baryza_style", "S101"),
        ("vss_s102_variant", "S102"),
        ("posas2_observer", "S105"),
        ("posas2_patient", "S105"),
        ("gais", "S46"),
        ("patient_global_0_10", "S7"),
    ],
)
def test_every_scale_cites_its_evidence(scale_id, must_cite):
    scale = get_scale(scale_id)
    assert must_cite in scale.evidence
    assert all(re.fullmatch(r"S\d+", e) for e in scale.evidence)


@pytest.mark.parametrize("scale_id", ["gb_quantitative", "ecca"])
def test_unverified_tables_say_so_in_their_notes(scale_id):
    assert "UNVERIFIED" in " ".join(get_scale(scale_id).notes)
    assert "UNVERIFIED" in get_scale(scale_id).name


def test_unknown_scale_is_refused_with_the_known_ids():
    with pytest.raises(ScaleError, match="vss_baryza_style") as excinfo:
        get_scale("vss")
    assert excinfo.value.scale_id == "vss"


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        SCALES["x"] = SCALES["gais"]  # type: ignore[index]


def test_scale_definition_errors_are_all_reported():
    with pytest.raises(ScaleError) as excinfo:
        Scale(
            scale_id="bad",
            version="1",
            name="bad",
            items=(
                ScaleItem("a", "A", 0, 3, {4: "off the end"}),
                ScaleItem("a", "A again", 5, 1),
            ),
            better=Better.LOWER,
            evidence=(),
        )
    assert len(excinfo.value.problems) == 4


# --- totals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "items", "total"),
    [
        ("gb_qualitative", {"grade": 1}, 1),
        ("gb_qualitative", {"grade": 4}, 4),
        ("gb_quantitative", GB_QUANT_ZERO, 0),
        ("gb_quantitative", dict.fromkeys(GB_QUANT_ZERO, 3), 84),
        # 2 (flat, 11-20) + 2 (moderate, 1-10) + 9 (deep broad, >20) + 6 (keloid <5 cm²)
        (
            "gb_quantitative",
            GB_QUANT_ZERO
            | {
                "flat_marks": 2,
                "moderate_atrophic": 1,
                "deep_broad_atrophic": 3,
                "keloid_hypertrophic_area": 1,
            },
            19,
        ),
        # papular 11-20 lesions = 4; keloid 5-20 cm² = 12
        (
            "gb_quantitative",
            GB_QUANT_ZERO | {"papular": 2, "keloid_hypertrophic_area": 2},
            16,
        ),
        ("ecca", ECCA_ZERO, 0),
        ("ecca", dict.fromkeys(ECCA_ZERO, 3), 540),
        # V 5-20 scars = 15x2; M <5 = 25x1; keloid >2 y <5 = 50x1
        (
            "ecca",
            ECCA_ZERO
            | {
                "v_atrophic_lt_2mm": 2,
                "m_atrophic_gt_4mm": 1,
                "keloid_hypertrophic_gt_2y": 1,
            },
            105,
        ),
        ("vss_baryza_style", VSS_ZERO, 0),
        (
            "vss_baryza_style",
            {"vascularity": 3, "pigmentation": 2, "pliability": 5, "height": 3},
            13,
        ),
        (
            "vss_baryza_style",
            {"vascularity": 2, "pigmentation": 1, "pliability": 3, "height": 1},
            7,
        ),
        (
            "vss_s102_variant",
            {"vascularity": 3, "pigmentation": 3, "pliability": 4, "height": 3},
            13,
        ),
        ("posas2_observer", POSAS_OBSERVER_ONES, 6),
        ("posas2_observer", dict.fromkeys(POSAS_OBSERVER_ONES, 10), 60),
        (
            "posas2_observer",
            POSAS_OBSERVER_ONES | {"vascularity": 4, "relief": 7},
            15,
        ),
        ("posas2_patient", POSAS_PATIENT_ONES | {"itch": 9}, 14),
        ("gais", {"improvement": 2}, 2),
        ("patient_global_0_10", {"rating": 0}, 0),
        ("patient_global_0_10", {"rating": 10}, 10),
    ],
)
def test_total(scale_id, items, total):
    result = get_scale(scale_id).score(items)
    assert result.total == total
    assert result.scale_id == scale_id
    assert dict(result.items) == items


@pytest.mark.parametrize(
    ("scale_id", "items"),
    [
        ("posas2_observer", POSAS_OBSERVER_ONES),
        ("posas2_patient", POSAS_PATIENT_ONES),
    ],
)
@pytest.mark.parametrize("overall", [1, 5, 10])
def test_posas_overall_opinion_is_kept_but_not_summed(scale_id, items, overall):
    result = get_scale(scale_id).score(items | {"overall_opinion": overall})
    assert result.total == 6
    assert result.items["overall_opinion"] == overall


@pytest.mark.parametrize("scale_id", ["posas2_observer", "posas2_patient"])
def test_posas_overall_opinion_may_be_omitted_but_not_out_of_range(scale_id):
    scale = get_scale(scale_id)
    six = {i.item_id: 1 for i in scale.items if i.summed}
    assert "overall_opinion" not in scale.score(six).items
    with pytest.raises(ScaleError, match=r"'overall_opinion': 11 is outside .* 1-10"):
        scale.score(six | {"overall_opinion": 11})


def test_score_is_frozen_and_records_the_scale_version():
    result = get_scale("vss_s102_variant").score(VSS_ZERO)
    assert (result.scale_id, result.version) == (
        "vss_s102_variant",
        "training-page-s102",
    )
    assert result.verified is False
    with pytest.raises(TypeError):
        result.items["height"] = 3  # type: ignore[index]


def test_score_copies_its_input():
    items = dict(VSS_ZERO)
    result = get_scale("vss_baryza_style").score(items)
    items["height"] = 3
    assert result.items["height"] == 0


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "items", "message"),
    [
        ("gb_qualitative", {"grade": 0}, "'grade': 0 is outside the allowed range 1-4"),
        ("gb_qualitative", {"grade": 5}, "'grade': 5 is outside the allowed range 1-4"),
        (
            "gb_quantitative",
            GB_QUANT_ZERO | {"papular": 4},
            "'papular': 4 is outside the allowed range 0-3",
        ),
        (
            "gb_quantitative",
            GB_QUANT_ZERO | {"flat_marks": -1},
            "'flat_marks': -1 is outside the allowed range 0-3",
        ),
        (
            "ecca",
            ECCA_ZERO | {"superficial_elastolysis": 4},
            "'superficial_elastolysis': 4 is outside the allowed range 0-3",
        ),
        (
            "vss_baryza_style",
            VSS_ZERO | {"height": 4},
            "'height': 4 is outside the allowed range 0-3",
        ),
        (
            "posas2_observer",
            POSAS_OBSERVER_ONES | {"relief": 0},
            "'relief': 0 is outside the allowed range 1-10",
        ),
        (
            "posas2_patient",
            POSAS_PATIENT_ONES | {"pain": 11},
            "'pain': 11 is outside the allowed range 1-10",
        ),
        (
            "gais",
            {"improvement": 0},
            "'improvement': 0 is outside the allowed range 1-5",
        ),
        (
            "gais",
            {"improvement": 6},
            "'improvement': 6 is outside the allowed range 1-5",
        ),
        (
            "patient_global_0_10",
            {"rating": -1},
            "'rating': -1 is outside the allowed range 0-10",
        ),
        (
            "patient_global_0_10",
            {"rating": 11},
            "'rating': 11 is outside the allowed range 0-10",
        ),
        ("gb_qualitative", {}, "missing item 'grade' (expected an integer 1-4)"),
        (
            "posas2_observer",
            {k: v for k, v in POSAS_OBSERVER_ONES.items() if k != "relief"},
            "missing item 'relief' (expected an integer 1-10)",
        ),
        ("gais", {"improvement": 1, "satisfaction": 2}, "unknown item 'satisfaction'"),
        ("gb_qualitative", {"grade": True}, "'grade': True is a bool, expected"),
        ("gb_qualitative", {"grade": 2.0}, "'grade': 2.0 is a float, expected"),
        ("gb_qualitative", {"grade": "2"}, "'grade': '2' is a str, expected"),
        ("gb_qualitative", {"grade": None}, "'grade': None is a NoneType, expected"),
        ("patient_global_0_10", {"rating": False}, "'rating': False is a bool"),
    ],
)
def test_invalid_items_are_refused_naming_item_and_range(scale_id, items, message):
    with pytest.raises(ScaleError) as excinfo:
        get_scale(scale_id).score(items)
    assert any(message in problem for problem in excinfo.value.problems)
    assert str(excinfo.value).startswith(f"{scale_id}: ")


def test_every_problem_is_reported_not_just_the_first():
    items: dict[str, Any] = {
        "vascularity": True,
        "pigmentation": 3,
        "height": 2.5,
        "depth": 1,
    }
    with pytest.raises(ScaleError) as excinfo:
        get_scale("vss_baryza_style").score(items)
    problems = excinfo.value.problems
    assert len(problems) == 5
    assert "'vascularity': True is a bool" in problems[0]
    assert "'pigmentation': 3 is outside the allowed range 0-2" in problems[1]
    assert "missing item 'pliability'" in problems[2]
    assert "'height': 2.5 is a float" in problems[3]
    # Unknown items come with the known ones, so the caller can fix a typo.
    assert problems[4] == (
        "unknown item 'depth'; expected one of height, pigmentation, pliability, "
        "vascularity"
    )


def test_scale_error_is_a_value_error():
    with pytest.raises(ValueError, match="grade"):
        get_scale("gb_qualitative").score({"grade": 9})


def test_items_must_be_a_mapping():
    with pytest.raises(ScaleError, match="mapping"):
        get_scale("gais").score([("improvement", 1)])  # type: ignore[arg-type]


# --- Vancouver item versions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "value", "valid_in"),
    [
        ("pigmentation", 2, {"vss_baryza_style", "vss_s102_variant"}),
        ("pigmentation", 3, {"vss_s102_variant"}),
        ("pliability", 4, {"vss_baryza_style", "vss_s102_variant"}),
        ("pliability", 5, {"vss_baryza_style"}),
        ("vascularity", 3, {"vss_baryza_style", "vss_s102_variant"}),
        ("vascularity", 4, set()),
        ("height", 3, {"vss_baryza_style", "vss_s102_variant"}),
        ("height", 4, set()),
    ],
)
@pytest.mark.parametrize("scale_id", ["vss_baryza_style", "vss_s102_variant"])
def test_vancouver_item_ranges_follow_the_version(scale_id, item, value, valid_in):
    scale = get_scale(scale_id)
    if scale_id in valid_in:
        assert scale.score(VSS_ZERO | {item: value}).total == value
    else:
        with pytest.raises(ScaleError, match=f"'{item}': {value} is outside"):
            scale.score(VSS_ZERO | {item: value})


def test_vancouver_labels_are_only_those_the_evidence_gives():
    baryza = get_scale("vss_baryza_style")
    assert dict(baryza.item("pliability").anchors) == {
        0: "normal",
        1: "supple",
        2: "yielding",
        3: "firm",
        4: "cord-like banding",
        5: "contracture",
    }
    variant = get_scale("vss_s102_variant")
    assert dict(variant.item("pliability").anchors) == {4: "adherent"}
    assert dict(variant.item("height").anchors) == {}


def test_unknown_item_lookup_is_refused():
    with pytest.raises(ScaleError, match="unknown item 'colour'"):
        get_scale("vss_baryza_style").item("colour")


# --- direction of improvement ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_id", "before", "after", "change"),
    [
        ("gb_qualitative", {"grade": 4}, {"grade": 2}, Change.IMPROVED),
        ("gb_qualitative", {"grade": 2}, {"grade": 3}, Change.WORSENED),
        ("gb_qualitative", {"grade": 3}, {"grade": 3}, Change.UNCHANGED),
        (
            "gb_quantitative",
            GB_QUANT_ZERO | {"linear_trough": 2},
            GB_QUANT_ZERO | {"linear_trough": 1},
            Change.IMPROVED,
        ),
        (
            "ecca",
            ECCA_ZERO | {"u_atrophic_2_4mm": 1},
            ECCA_ZERO | {"u_atrophic_2_4mm": 2},
            Change.WORSENED,
        ),
        (
            "vss_baryza_style",
            VSS_ZERO | {"height": 3},
            VSS_ZERO | {"height": 1},
            Change.IMPROVED,
        ),
        (
            "posas2_observer",
            POSAS_OBSERVER_ONES | {"thickness": 8},
            POSAS_OBSERVER_ONES | {"thickness": 3},
            Change.IMPROVED,
        ),
        (
            "posas2_patient",
            POSAS_PATIENT_ONES,
            POSAS_PATIENT_ONES | {"itch": 5},
            Change.WORSENED,
        ),
        # GAIS rates change since baseline: 1 "very much improved", 5 "worse".
        ("gais", {"improvement": 5}, {"improvement": 1}, Change.IMPROVED),
        ("gais", {"improvement": 1}, {"improvement": 5}, Change.WORSENED),
    ],
)
def test_direction_of_change(scale_id, before, after, change):
    scale = get_scale(scale_id)
    b, a = scale.score(before), scale.score(after)
    assert compare(b, a) is change
    assert is_improvement(b, a) is (change is Change.IMPROVED)


def test_overall_opinion_alone_does_not_change_posas():
    scale = get_scale("posas2_observer")
    before = scale.score(POSAS_OBSERVER_ONES | {"overall_opinion": 9})
    after = scale.score(POSAS_OBSERVER_ONES | {"overall_opinion": 1})
    assert compare(before, after) is Change.UNCHANGED


def test_patient_global_rating_direction_is_not_guessed():
    scale = get_scale("patient_global_0_10")
    with pytest.raises(ScaleError, match="does not say which end"):
        compare(scale.score({"rating": 3}), scale.score({"rating": 8}))


def test_scores_on_different_vancouver_versions_are_not_compared():
    baryza = get_scale("vss_baryza_style").score(VSS_ZERO)
    variant = get_scale("vss_s102_variant").score(VSS_ZERO)
    with pytest.raises(ScaleError, match="not the same scale version"):
        compare(baryza, variant)


def test_higher_is_better_scales_are_compared_the_other_way(monkeypatch):
    higher = Scale(
        scale_id="satisfaction_test",
        version="1",
        name="test only",
        items=(ScaleItem("rating", "Rating", 0, 10),),
        better=Better.HIGHER,
        evidence=("S0",),
    )
    monkeypatch.setattr(scales, "SCALES", {higher.scale_id: higher})
    assert compare(higher.score({"rating": 2}), higher.score({"rating": 7})) is (
        Change.IMPROVED
    )
    assert compare(higher.score({"rating": 7}), higher.score({"rating": 2})) is (
        Change.WORSENED
    )


# --- properties -----------------------------------------------------------------------


@pytest.mark.parametrize("scale_id", sorted(SCALES))
@given(data=st.data())
def test_valid_items_always_score_within_the_total_range(scale_id, data):
    scale = get_scale(scale_id)
    result = scale.score(data.draw(_valid_items(scale)))
    assert scale.total_min <= result.total <= scale.total_max


@pytest.mark.parametrize("scale_id", sorted(SCALES))
@given(data=st.data())
def test_any_out_of_range_item_is_named_in_the_error(scale_id, data):
    scale = get_scale(scale_id)
    items = data.draw(_valid_items(scale))
    item = data.draw(st.sampled_from(scale.items))
    bad = data.draw(
        st.integers(max_value=item.min_value - 1)
        | st.integers(min_value=item.max_value + 1)
    )
    with pytest.raises(ScaleError) as excinfo:
        scale.score(items | {item.item_id: bad})
    assert excinfo.value.problems == (
        f"item {item.item_id!r}: {bad} is outside the allowed range "
        f"{item.min_value}-{item.max_value}",
    )


@pytest.mark.parametrize(
    "scale_id", sorted(s for s, v in SCALES.items() if v.better is not Better.UNSTATED)
)
@given(data=st.data())
def test_compare_is_antisymmetric(scale_id, data):
    scale = get_scale(scale_id)
    a = scale.score(data.draw(_valid_items(scale)))
    b = scale.score(data.draw(_valid_items(scale)))
    mirror = {
        Change.IMPROVED: Change.WORSENED,
        Change.WORSENED: Change.IMPROVED,
        Change.UNCHANGED: Change.UNCHANGED,
    }
    assert compare(b, a) is mirror[compare(a, b)]
    assert (compare(a, b) is Change.UNCHANGED) == (a.total == b.total)
