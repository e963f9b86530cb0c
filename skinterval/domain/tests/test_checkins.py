"""Check-in answers that alert the clinic (thresholds are clinic policy)."""

from __future__ import annotations

import pytest

from skinterval.domain.checkins import (
    CheckInAnswers,
    CheckInPolicy,
    Severity,
    attention_reasons,
)

S = Severity


def answers(**overrides: object) -> CheckInAnswers:
    values: dict[str, object] = {
        "redness": S.MILD,
        "swelling": S.NONE,
        "itching": S.NONE,
        "pain": 2,
        "unexpected": "",
    }
    values.update(overrides)
    return CheckInAnswers(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "day_after", "expected"),
    [
        # The expected course of a session: nothing to look at.
        ({}, 1, ()),
        ({"redness": S.MODERATE, "swelling": S.MODERATE, "pain": 6}, 1, ()),
        ({"redness": S.MODERATE, "swelling": S.MODERATE}, 6, ()),
        # Severe anything, whatever the day.
        ({"redness": S.SEVERE}, 1, ("severe_redness",)),
        ({"swelling": S.SEVERE}, 0, ("severe_swelling",)),
        ({"itching": S.SEVERE}, 2, ("severe_itching",)),
        # Pain from 7 of 10.
        ({"pain": 7}, 1, ("pain_high",)),
        ({"pain": 10}, 1, ("pain_high",)),
        # Anything unexpected the patient wrote (blank space is nothing).
        ({"unexpected": "small blisters on the chin"}, 1, ("unexpected",)),
        ({"unexpected": "  \n "}, 1, ()),
        # Severe redness or swelling after day 3: still severe past settling.
        ({"redness": S.SEVERE}, 3, ("severe_redness",)),
        ({"redness": S.SEVERE}, 4, ("severe_redness", "not_settling_redness")),
        (
            {"swelling": S.SEVERE, "pain": 8, "unexpected": "fever"},
            5,
            ("severe_swelling", "pain_high", "unexpected", "not_settling_swelling"),
        ),
        # Itching has no stated settling time: only "severe" counts.
        ({"itching": S.SEVERE}, 9, ("severe_itching",)),
    ],
)
def test_attention_reasons(overrides, day_after, expected):
    assert attention_reasons(answers(**overrides), day_after=day_after) == expected


def test_a_clinic_may_look_at_moderate_redness_that_has_not_settled():
    policy = CheckInPolicy(not_settling_at=S.MODERATE)
    late_moderate = answers(redness=S.MODERATE)
    assert attention_reasons(late_moderate, day_after=4, policy=policy) == (
        "not_settling_redness",
    )
    assert attention_reasons(late_moderate, day_after=4) == ()


@pytest.mark.parametrize("pain", [-1, 11])
def test_pain_is_out_of_ten(pain):
    with pytest.raises(ValueError, match="pain"):
        answers(pain=pain)
