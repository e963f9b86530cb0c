"""The intake questionnaire a new patient fills in when booking a consultation.

The answers are the medical-history part of an assessment (the contract's
`patient.pregnant`/`nursing` and `history`), with dates. `screen_intake` runs the
same screening as planning (`screening.screen`) on them, as of the day they were
given, and keeps only the findings that come from the history: phototype, scars,
examination and device are the practitioner's to assess at the consultation, so
nothing is concluded about them here. Every finding's severity, message and
evidence come from the rules data; wash-outs and spacings from the clinic's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from skinterval.domain.assessment import (
    PROCEDURE_KINDS,
    Assessment,
    History,
    Isotretinoin,
    Patient,
    Procedure,
)
from skinterval.domain.plan import Finding
from skinterval.domain.protocol import ClinicRules
from skinterval.domain.screening import screen

# Finding codes that depend only on what the questionnaire asks.
HISTORY_CODES = frozenset(
    {
        "pregnancy_or_nursing",
        "metal_allergy",
        "anaesthetic_allergy",
        "bleeding_disorder",
        "anticoagulant",
        "immunosuppression",
        "keloid_tendency",
        "herpes_history",
        "diabetes_uncontrolled",
        "isotretinoin_current",
        "isotretinoin_recent",
        "radiotherapy_recent",
        "recent_procedure",
    }
)
DIABETES = ("none", "controlled", "uncontrolled")
ISOTRETINOIN = ("never", "current", "stopped")
# Screening needs a phototype; the questionnaire does not ask it, and findings
# that depend on it are dropped (see HISTORY_CODES).
_NOT_ASKED_PHOTOTYPE = 1


@dataclass(frozen=True, slots=True)
class IntakeAnswers:
    """What the patient answered. `None` in `diabetes` means not answered."""

    answered_on: date
    birth_date: date
    pregnant: bool = False
    nursing: bool = False
    isotretinoin: str = "never"
    isotretinoin_stopped_on: date | None = None
    anticoagulant: bool = False
    bleeding_disorder: bool = False
    keloid_tendency: bool = False
    immunosuppressed: bool = False
    diabetes: str = "none"
    herpes_simplex_history: bool = False
    metal_allergy: bool = False
    anaesthetic_allergy: bool = False
    radiotherapy_to_area_on: date | None = None
    recent_procedures: tuple[Procedure, ...] = ()

    def __post_init__(self) -> None:
        if self.isotretinoin not in ISOTRETINOIN:
            raise ValueError(f"isotretinoin: {self.isotretinoin!r}")
        if self.diabetes not in DIABETES:
            raise ValueError(f"diabetes: {self.diabetes!r}")
        for proc in self.recent_procedures:
            if proc.kind not in PROCEDURE_KINDS:
                raise ValueError(f"procedure: {proc.kind!r}")

    def history(self) -> History:
        return History(
            isotretinoin=Isotretinoin(
                self.isotretinoin,
                self.isotretinoin_stopped_on
                if self.isotretinoin == "stopped"
                else None,
            ),
            anticoagulant=self.anticoagulant,
            bleeding_disorder=self.bleeding_disorder,
            keloid_tendency=self.keloid_tendency,
            immunosuppressed=self.immunosuppressed,
            diabetes=self.diabetes,
            herpes_simplex_history=self.herpes_simplex_history,
            metal_allergy=self.metal_allergy,
            anaesthetic_allergy=self.anaesthetic_allergy,
            radiotherapy_to_area_on=self.radiotherapy_to_area_on,
            recent_procedures=self.recent_procedures,
        )

    def as_contract(self) -> dict[str, Any]:
        """The answers as the assessment contract's `patient` and `history`
        fields (dates as ISO strings), ready to store or to start an assessment."""
        iso: dict[str, Any] = {"status": self.isotretinoin}
        if self.isotretinoin == "stopped":
            iso["stopped_on"] = _iso(self.isotretinoin_stopped_on)
        return {
            "patient": {
                "birth_date": self.birth_date.isoformat(),
                "pregnant": self.pregnant,
                "nursing": self.nursing,
            },
            "history": {
                "isotretinoin": iso,
                "anticoagulant": self.anticoagulant,
                "bleeding_disorder": self.bleeding_disorder,
                "keloid_tendency": self.keloid_tendency,
                "immunosuppressed": self.immunosuppressed,
                "diabetes": self.diabetes,
                "herpes_simplex_history": self.herpes_simplex_history,
                "metal_allergy": self.metal_allergy,
                "anaesthetic_allergy": self.anaesthetic_allergy,
                "radiotherapy_to_area_on": _iso(self.radiotherapy_to_area_on),
                "recent_procedures": [
                    {"kind": p.kind, "on": p.on.isoformat()}
                    for p in self.recent_procedures
                ],
            },
        }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def screen_intake(answers: IntakeAnswers, cr: ClinicRules) -> tuple[Finding, ...]:
    """The rules' findings from the answers, as of `answers.answered_on`, in the
    order the plan shows them."""
    assessment = Assessment(
        assessed_on=answers.answered_on,
        patient=Patient(
            birth_date=answers.birth_date,
            fitzpatrick=_NOT_ASKED_PHOTOTYPE,
            pregnant=answers.pregnant,
            nursing=answers.nursing,
        ),
        scars=(),
        history=answers.history(),
    )
    found = [f for f in screen(assessment, cr) if f.code in HISTORY_CODES]
    return tuple(sorted(found, key=Finding.sort_key))


def finding_json(finding: Finding) -> Mapping[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "evidence": list(finding.evidence),
        "until": _iso(finding.until),
    }
