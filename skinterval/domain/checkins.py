"""Which of a patient's check-in answers should make the clinic look.

A check-in after a session rates redness, swelling and itching as none, mild,
moderate or severe, pain from 0 to 10, and may describe anything unexpected. The
thresholds below are **clinic policy, not evidence**: no study in the evidence
brief sets a check-in alert threshold. They were chosen so that the clinic hears
of anything severe, strong pain, anything the patient did not expect, and redness
or swelling that is still severe after the days in which the plan's aftercare says
it usually settles (2-3 days, S3). A clinic changes them with `CheckInPolicy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3


PAIN_MAX = 10
SYMPTOMS = ("redness", "swelling", "itching")
# Symptoms whose settling time the aftercare states ("usually settle in 2-3 days").
SETTLING_SYMPTOMS = ("redness", "swelling")


@dataclass(frozen=True, slots=True)
class CheckInPolicy:
    """Alert thresholds (clinic policy, labelled so wherever they are shown)."""

    alert_at: Severity = Severity.SEVERE
    pain_alert_at: int = 7
    settles_by_day: int = 3
    not_settling_at: Severity = Severity.SEVERE


DEFAULT_POLICY = CheckInPolicy()


@dataclass(frozen=True, slots=True)
class CheckInAnswers:
    redness: Severity
    swelling: Severity
    itching: Severity
    pain: int
    unexpected: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.pain <= PAIN_MAX:
            raise ValueError(f"pain must be 0-{PAIN_MAX}, not {self.pain}")


def attention_reasons(
    answers: CheckInAnswers,
    *,
    day_after: int,
    policy: CheckInPolicy = DEFAULT_POLICY,
) -> tuple[str, ...]:
    """The reasons (codes, in a stable order) the clinic should look at this
    check-in, `day_after` days after the session; empty when none.

    Codes: `severe_<symptom>`, `pain_high`, `unexpected`, `not_settling_<symptom>`.
    """
    reasons: list[str] = []
    for name in SYMPTOMS:
        if getattr(answers, name) >= policy.alert_at:
            reasons.append(f"severe_{name}")
    if answers.pain >= policy.pain_alert_at:
        reasons.append("pain_high")
    if answers.unexpected.strip():
        reasons.append("unexpected")
    if day_after > policy.settles_by_day:
        for name in SETTLING_SYMPTOMS:
            if getattr(answers, name) >= policy.not_settling_at:
                reasons.append(f"not_settling_{name}")
    return tuple(reasons)
