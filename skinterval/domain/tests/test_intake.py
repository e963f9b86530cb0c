"""Screening the intake questionnaire: only history findings, from the rules
data, with the clinic's wash-outs and the answers' dates."""

from __future__ import annotations

from datetime import date

import pytest

from skinterval.domain.assessment import Procedure
from skinterval.domain.intake import HISTORY_CODES, IntakeAnswers, screen_intake
from skinterval.domain.protocol import DEFAULT_PROTOCOL, apply_protocol
from skinterval.domain.ruleset import load_rules

TODAY = date(2027, 1, 4)
CR = apply_protocol(load_rules(), DEFAULT_PROTOCOL)


def _answers(**changes):
    return IntakeAnswers(answered_on=TODAY, birth_date=date(1990, 1, 1), **changes)


def _codes(answers):
    return {(f.code, f.severity) for f in screen_intake(answers, CR)}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, set()),
        ({"pregnant": True}, {("pregnancy_or_nursing", "block")}),
        ({"nursing": True}, {("pregnancy_or_nursing", "block")}),
        ({"isotretinoin": "current"}, {("isotretinoin_current", "block")}),
        (
            {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2026, 10, 1)},
            {("isotretinoin_recent", "defer")},
        ),
        (
            {"isotretinoin": "stopped", "isotretinoin_stopped_on": date(2025, 1, 1)},
            set(),
        ),
        ({"anticoagulant": True}, {("anticoagulant", "review")}),
        ({"bleeding_disorder": True}, {("bleeding_disorder", "block")}),
        ({"keloid_tendency": True}, {("keloid_tendency", "review")}),
        ({"immunosuppressed": True}, {("immunosuppression", "review")}),
        ({"diabetes": "uncontrolled"}, {("diabetes_uncontrolled", "review")}),
        ({"diabetes": "controlled"}, set()),
        ({"herpes_simplex_history": True}, {("herpes_history", "caution")}),
        ({"metal_allergy": True}, {("metal_allergy", "block")}),
        ({"anaesthetic_allergy": True}, {("anaesthetic_allergy", "block")}),
        (
            {"radiotherapy_to_area_on": date(2026, 12, 1)},
            {("radiotherapy_recent", "defer")},
        ),
        (
            {"recent_procedures": (Procedure("filler", date(2026, 12, 20)),)},
            {("recent_procedure", "caution")},
        ),
        ({"recent_procedures": (Procedure("filler", date(2026, 1, 1)),)}, set()),
    ],
)
def test_each_answer_gives_the_rules_finding(changes, expected):
    assert _codes(_answers(**changes)) == expected


def test_a_dated_finding_says_until_when_from_the_rules():
    (finding,) = screen_intake(
        _answers(isotretinoin="stopped", isotretinoin_stopped_on=date(2026, 10, 1)),
        CR,
    )
    assert finding.until == date(2027, 4, 1)
    assert finding.evidence == CR.rules.findings["isotretinoin_recent"].evidence
    assert "2027-04-01" in finding.message


def test_nothing_about_phototype_scars_or_exam_is_concluded():
    everything = _answers(
        pregnant=True,
        isotretinoin="current",
        anticoagulant=True,
        keloid_tendency=True,
        herpes_simplex_history=True,
        recent_procedures=(Procedure("ipl", date(2027, 1, 1)),),
    )
    codes = {f.code for f in screen_intake(everything, CR)}
    assert codes <= HISTORY_CODES
    assert "pih_risk" not in codes


def test_answers_map_to_the_assessment_contract_fields():
    data = _answers(
        isotretinoin="stopped",
        isotretinoin_stopped_on=date(2026, 10, 1),
        recent_procedures=(Procedure("filler", date(2026, 12, 20)),),
    ).as_contract()
    assert data["patient"] == {
        "birth_date": "1990-01-01",
        "pregnant": False,
        "nursing": False,
    }
    assert data["history"]["isotretinoin"] == {
        "status": "stopped",
        "stopped_on": "2026-10-01",
    }
    assert data["history"]["recent_procedures"] == [
        {"kind": "filler", "on": "2026-12-20"}
    ]


def test_unknown_codes_are_refused():
    with pytest.raises(ValueError, match="diabetes"):
        _answers(diabetes="maybe")


def test_stored_answers_start_a_valid_assessment():
    from skinterval.domain.assessment import schema_problems

    data = _answers(
        isotretinoin="stopped",
        radiotherapy_to_area_on=date(2026, 6, 1),
        recent_procedures=(Procedure("ipl", date(2026, 12, 1)),),
    ).as_contract()
    data["patient"]["fitzpatrick"] = 3
    assessment = {
        "assessed_on": TODAY.isoformat(),
        **data,
        "scars": [{"area": "cheeks", "kind": "rolling"}],
    }
    assert schema_problems(assessment) == []
