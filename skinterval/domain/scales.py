"""Scar assessment scales: item definitions, validated totals, direction of improvement.

Every number comes from ``clinical-evidence.md`` section 6 (``[Sxx]`` ids point to its
reference list). Where the evidence file gives no value (a label, a direction), the data
says so instead of filling the gap. Scales whose tables were reproduced from general
knowledge rather than read in a source carry ``verified=False``: a clinician must check
the original publication before relying on their totals (evidence sections 6 and 11).

Pure Python: no Django, no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "SCALES",
    "Better",
    "Change",
    "Scale",
    "ScaleError",
    "ScaleItem",
    "ScaleScore",
    "compare",
    "get_scale",
    "is_improvement",
]


class ScaleError(ValueError):
    """Invalid scale input; ``problems`` holds every problem found, not just one."""

    def __init__(self, scale_id: str, problems: Sequence[str]) -> None:
        self.scale_id = scale_id
        self.problems = tuple(problems)
        super().__init__(f"{scale_id}: " + "; ".join(self.problems))


class Better(StrEnum):
    """Which end of a scale's total is the better outcome."""

    LOWER = "lower"
    HIGHER = "higher"
    UNSTATED = "unstated"  # the evidence file does not say; comparisons are refused


class Change(StrEnum):
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSENED = "worsened"


@dataclass(frozen=True)
class ScaleItem:
    """One scored item. Valid values are the integers ``min_value``..``max_value``.

    ``anchors`` gives the meaning of the values the evidence describes; values without
    an anchor are left unlabelled on purpose. The item adds ``weight * value`` points to
    the total unless ``summed`` is False (recorded, never added).
    """

    item_id: str
    label: str
    min_value: int
    max_value: int
    anchors: Mapping[int, str] = field(default_factory=dict, hash=False)
    weight: int = 1
    summed: bool = True
    required: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", MappingProxyType(dict(self.anchors)))

    @property
    def allowed(self) -> str:
        return f"an integer {self.min_value}-{self.max_value}"


@dataclass(frozen=True)
class ScaleScore:
    """A validated total, with the item scores and the exact scale version used."""

    scale_id: str
    version: str
    items: Mapping[str, int] = field(hash=False)
    total: int
    verified: bool


@dataclass(frozen=True)
class Scale:
    """An assessment instrument in one version.

    ``verified`` is True only when item ranges and scoring were read in a source the
    evidence file cites; False means reproduced from general knowledge or from a source
    that is not citable, so the table must be checked against the original.
    """

    scale_id: str
    version: str
    name: str
    items: tuple[ScaleItem, ...]
    better: Better
    evidence: tuple[str, ...]
    verified: bool = False
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ids = [item.item_id for item in self.items]
        problems = [
            f"duplicate item {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1
        ]
        for item in self.items:
            if item.min_value > item.max_value or item.weight < 1:
                problems.append(f"item {item.item_id!r}: bad range or weight")
            problems.extend(
                f"item {item.item_id!r}: anchor {value} is outside its range"
                for value in item.anchors
                if not item.min_value <= value <= item.max_value
            )
        if not self.evidence:
            problems.append("no evidence ids")
        if problems:
            raise ScaleError(self.scale_id, problems)

    @property
    def total_min(self) -> int:
        return sum(i.weight * i.min_value for i in self.items if i.summed)

    @property
    def total_max(self) -> int:
        return sum(i.weight * i.max_value for i in self.items if i.summed)

    def item(self, item_id: str) -> ScaleItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise ScaleError(self.scale_id, [f"unknown item {item_id!r}"])

    def score(self, items: Mapping[str, int]) -> ScaleScore:
        """Validate item scores and total them; ScaleError lists every problem."""
        if not isinstance(items, Mapping):
            raise ScaleError(self.scale_id, ["item scores must be a mapping"])
        problems: list[str] = []
        for item in self.items:
            if item.item_id not in items:
                if item.required:
                    problems.append(
                        f"missing item {item.item_id!r} (expected {item.allowed})"
                    )
                continue
            value = items[item.item_id]
            # bool is an int subclass; True must not pass as 1.
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(
                    f"item {item.item_id!r}: {value!r} is a {type(value).__name__}, "
                    f"expected {item.allowed}"
                )
            elif not item.min_value <= value <= item.max_value:
                problems.append(
                    f"item {item.item_id!r}: {value} is outside the allowed range "
                    f"{item.min_value}-{item.max_value}"
                )
        known = {item.item_id for item in self.items}
        problems.extend(
            f"unknown item {key!r}; expected one of {', '.join(sorted(known))}"
            for key in sorted(items, key=repr)
            if key not in known
        )
        if problems:
            raise ScaleError(self.scale_id, problems)
        total = sum(
            i.weight * items[i.item_id]
            for i in self.items
            if i.summed and i.item_id in items
        )
        return ScaleScore(
            scale_id=self.scale_id,
            version=self.version,
            items=MappingProxyType(
                {i.item_id: items[i.item_id] for i in self.items if i.item_id in items}
            ),
            total=total,
            verified=self.verified,
        )


def compare(before: ScaleScore, after: ScaleScore) -> Change:
    """Direction of change between two scores on the same scale and version.

    Direction only: the evidence gives no minimal clinically important difference for
    these scales, and per-session changes are small and noisy ([S89], section 12), so
    callers must not read a one-point move as a response.
    """
    if (before.scale_id, before.version) != (after.scale_id, after.version):
        raise ScaleError(
            after.scale_id,
            [
                f"cannot compare {before.scale_id} {before.version!r} with "
                f"{after.scale_id} {after.version!r}: not the same scale version"
            ],
        )
    scale = get_scale(after.scale_id)
    if scale.better is Better.UNSTATED:
        raise ScaleError(
            scale.scale_id,
            [
                "the evidence does not say which end of this scale is better; "
                "fix its anchors before comparing scores"
            ],
        )
    if after.total == before.total:
        return Change.UNCHANGED
    went_lower = after.total < before.total
    if went_lower == (scale.better is Better.LOWER):
        return Change.IMPROVED
    return Change.WORSENED


def is_improvement(before: ScaleScore, after: ScaleScore) -> bool:
    return compare(before, after) is Change.IMPROVED


def get_scale(scale_id: str) -> Scale:
    try:
        return SCALES[scale_id]
    except KeyError:
        raise ScaleError(
            scale_id, [f"unknown scale; known scales: {', '.join(sorted(SCALES))}"]
        ) from None


# --- Scale data ---------------------------------------------------------------------

_NONE_FEW_MANY = {0: "none", 1: "1-10 lesions", 2: "11-20 lesions", 3: ">20 lesions"}


def _gb_type(item_id: str, label: str, weight: int) -> ScaleItem:
    # Value = lesion-count band; points = weight x band (1/2/3, 2/4/6, 3/6/9).
    return ScaleItem(item_id, label, 0, 3, _NONE_FEW_MANY, weight=weight)


def _ecca_type(item_id: str, label: str, weight: int) -> ScaleItem:
    anchors = {0: "none", 1: "<5 scars", 2: "5-20 scars", 3: ">20 scars"}
    return ScaleItem(item_id, label, 0, 3, anchors, weight=weight)


def _one_to_ten(item_id: str, label: str, anchors: Mapping[int, str]) -> ScaleItem:
    return ScaleItem(item_id, label, 1, 10, anchors)


_POSAS_OBSERVER_ANCHORS = {1: "like normal skin", 10: "worst imaginable"}
_POSAS_OVERALL = ScaleItem(
    "overall_opinion",
    "Overall opinion (recorded, not summed)",
    1,
    10,
    summed=False,
    required=False,
)

_VSS_VASCULARITY = ScaleItem(
    "vascularity",
    "Redness / vessel show-through",
    0,
    3,
    {0: "normal", 1: "pink", 2: "red", 3: "purple"},
)

_ALL: tuple[Scale, ...] = (
    Scale(
        scale_id="gb_qualitative",
        version="2006",
        name="Goodman & Baron qualitative global acne-scar grading",
        items=(
            ScaleItem(
                "grade",
                "Global grade, judged at social distance (~50 cm)",
                1,
                4,
                {
                    1: "Macular: flat red, brown or pale marks; colour, not contour",
                    2: "Mild: slight depression or elevation not obvious at ≥50 cm; "
                    "hidden by make-up or beard shadow/body hair",
                    3: "Moderate: obvious at ≥50 cm, not easily hidden; atrophic "
                    "scars still flatten when the skin is stretched",
                    4: "Severe: obvious at >50 cm, not hidden; atrophic scars do "
                    "not flatten on stretching",
                },
            ),
        ),
        better=Better.LOWER,  # trials report improvement as falling by ≥1 grade
        evidence=("S95", "S96", "S97"),
        verified=True,
        notes=(
            "Whether grading is per facial area or whole face was not readable in "
            "the sources consulted.",
            "Some trials report 'no scars' as an end state [S35]; the evidence gives "
            "no grade for it, so none is invented here.",
        ),
    ),
    Scale(
        scale_id="gb_quantitative",
        version="2006",
        name="Goodman & Baron quantitative global scarring grading (UNVERIFIED table)",
        items=(
            _gb_type("flat_marks", "A, milder: flat red/brown marks", 1),
            _gb_type("shallow_dish_atrophy", "A, milder: shallow dish-like atrophy", 1),
            _gb_type("moderate_atrophic", "B, moderate: moderately atrophic scars", 2),
            _gb_type(
                "punched_out_shallow_small",
                "B, moderate: punched-out, shallow base, small (<5 mm)",
                2,
            ),
            _gb_type(
                "shallow_broad_atrophic", "B, moderate: shallow but broad atrophic", 2
            ),
            _gb_type(
                "punched_out_deep_normal_base_small",
                "C, severe: punched-out, deep but normal-looking base, small (<5 mm)",
                3,
            ),
            _gb_type(
                "punched_out_deep_abnormal_base_small",
                "C, severe: punched-out, deep abnormal base, small (<5 mm)",
                3,
            ),
            _gb_type("linear_trough", "C, severe: linear or trough-like dermal", 3),
            _gb_type("deep_broad_atrophic", "C, severe: deep, broad atrophic areas", 3),
            _gb_type("papular", "D, hyperplastic: papular scars", 2),
            ScaleItem(
                "keloid_hypertrophic_area",
                "D, hyperplastic: keloid/hypertrophic, scored by area band",
                0,
                3,
                {0: "none", 1: "<5 cm²", 2: "5-20 cm²", 3: ">20 cm²"},
                weight=6,  # 6 / 12 / 18 points
            ),
        ),
        better=Better.LOWER,  # Alam RCT: improvement was a fall of 3.4 points [S9]
        evidence=("S98", "S9"),
        verified=False,
        notes=(
            "UNVERIFIED: points table reproduced from general knowledge, not read in "
            "the source; check the original table before relying on totals.",
            "Items take the lesion-count (or area) band, not the raw count.",
        ),
    ),
    Scale(
        scale_id="ecca",
        version="2007",
        name="ECCA acne-scar grading, Dréno et al. (UNVERIFIED weights)",
        items=(
            _ecca_type("v_atrophic_lt_2mm", "V-shaped atrophic, <2 mm (ice-pick)", 15),
            _ecca_type("u_atrophic_2_4mm", "U-shaped atrophic, 2-4 mm (boxcar)", 20),
            _ecca_type("m_atrophic_gt_4mm", "M-shaped atrophic, >4 mm (rolling)", 25),
            _ecca_type("superficial_elastolysis", "Superficial elastolysis", 30),
            _ecca_type(
                "inflammatory_hypertrophic_lt_2y",
                "Inflammatory hypertrophic scars <2 years old",
                40,
            ),
            _ecca_type(
                "keloid_hypertrophic_gt_2y",
                "Keloid / hypertrophic scars >2 years old",
                50,
            ),
        ),
        better=Better.LOWER,  # a larger ECCA drop was the better arm [S39]
        evidence=("S99", "S100", "S39", "S42"),
        verified=False,
        notes=(
            "UNVERIFIED: weights and count bands reproduced from general knowledge; "
            "verify against Dréno 2007 before relying on totals.",
        ),
    ),
    Scale(
        scale_id="vss_baryza_style",
        version="common-baryza-style",
        name="Vancouver Scar Scale, common clinical (Baryza-style) items",
        items=(
            _VSS_VASCULARITY,
            ScaleItem(
                "pigmentation",
                "Colour change",
                0,
                2,
                {0: "normal", 1: "lighter", 2: "darker"},
            ),
            ScaleItem(
                "pliability",
                "Firmness / give",
                0,
                5,
                {
                    0: "normal",
                    1: "supple",
                    2: "yielding",
                    3: "firm",
                    4: "cord-like banding",
                    5: "contracture",
                },
            ),
            ScaleItem(
                "height",
                "Raised height",
                0,
                3,
                {0: "flat", 1: "<2 mm", 2: "2-5 mm", 3: ">5 mm"},
            ),
        ),
        better=Better.LOWER,
        evidence=("S101", "S103", "S104"),
        verified=False,
        notes=(
            "Four items summed to 0-13, lower is better (verified). The item-level "
            "bands of this version are not citable from the sources consulted.",
            "The evidence does not say which variant is Sullivan's 1990 original.",
        ),
    ),
    Scale(
        scale_id="vss_s102_variant",
        version="training-page-s102",
        name="Vancouver Scar Scale, variant item ranges from a training page",
        items=(
            _VSS_VASCULARITY,
            ScaleItem("pigmentation", "Colour change", 0, 3, {0: "none", 3: "severe"}),
            ScaleItem("pliability", "Firmness / give", 0, 4, {4: "adherent"}),
            # Range derived from the stated total of 13 (13 - 3 - 3 - 4); the page's
            # inch bands do not match the mm bands, so no labels are given.
            ScaleItem("height", "Raised height", 0, 3),
        ),
        better=Better.LOWER,
        evidence=("S102", "S101"),
        verified=False,
        notes=(
            "Labels for intermediate values are not given in the evidence file.",
            "Height range 0-3 is derived from the total of 13, not read directly.",
        ),
    ),
    Scale(
        scale_id="posas2_observer",
        version="2.0",
        name="POSAS 2.0 observer scale",
        items=(
            _one_to_ten("vascularity", "Vessel redness", _POSAS_OBSERVER_ANCHORS),
            _one_to_ten("pigmentation", "Pigment", _POSAS_OBSERVER_ANCHORS),
            _one_to_ten("thickness", "Thickness", _POSAS_OBSERVER_ANCHORS),
            _one_to_ten(
                "relief", "Surface unevenness (relief)", _POSAS_OBSERVER_ANCHORS
            ),
            _one_to_ten(
                "pliability", "Stiffness / pliability", _POSAS_OBSERVER_ANCHORS
            ),
            _one_to_ten(
                "surface_area",
                "Size relative to original wound",
                _POSAS_OBSERVER_ANCHORS,
            ),
            _POSAS_OVERALL,
        ),
        better=Better.LOWER,  # 1 = like normal skin, 10 = worst imaginable
        evidence=("S105", "S106", "S107", "S108", "S109"),
        verified=True,
        notes=(
            "Descriptive category boxes (e.g. hypo/hyper/mixed pigment) do not enter "
            "the total and are not modelled here.",
            "Score the same region (average or worst part) consistently [S107].",
        ),
    ),
    Scale(
        scale_id="posas2_patient",
        version="2.0",
        name="POSAS 2.0 patient scale",
        items=(
            _one_to_ten("pain", "Pain", {}),
            _one_to_ten("itch", "Itch", {}),
            _one_to_ten("colour", "Colour", {}),
            _one_to_ten("stiffness", "Stiffness", {}),
            _one_to_ten("thickness", "Thickness", {}),
            _one_to_ten("irregularity", "Irregularity", {}),
            _POSAS_OVERALL,
        ),
        # The evidence scores the patient scale "the same 1-10 per item" as the
        # observer scale, whose 1 is normal skin.
        better=Better.LOWER,
        evidence=("S105", "S106", "S108"),
        verified=True,
        notes=(
            "The evidence file does not give the patient-scale wording of the 1 and "
            "10 ends, so no anchors are stored.",
        ),
    ),
    Scale(
        scale_id="gais",
        version="5-point",
        name="Global Aesthetic Improvement Scale",
        items=(
            ScaleItem(
                "improvement",
                "Global aesthetic improvement",
                1,
                5,
                {1: "very much improved", 5: "worse"},
            ),
        ),
        # Rates a change (improved ... worse), not the scar's state; 1 is best.
        better=Better.LOWER,
        evidence=("S46", "S13", "S22"),
        verified=True,
        notes=(
            "Labels for 2-4 (and which value means 'no change') are not given in the "
            "evidence file.",
        ),
    ),
    Scale(
        scale_id="patient_global_0_10",
        version="0-10",
        name="Patient global rating 0-10 (patient VAS)",
        items=(ScaleItem("rating", "Patient's global rating", 0, 10),),
        better=Better.UNSTATED,
        evidence=("S7", "S11"),
        verified=True,
        notes=(
            "The evidence file gives the 0-10 range but not what 0 and 10 mean, so "
            "the better end is unstated and comparisons are refused.",
        ),
    ),
)

SCALES: Mapping[str, Scale] = MappingProxyType({s.scale_id: s for s in _ALL})
