"""An intake questionnaire made readable for staff: each answer with its date,
and the rules' findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.booking.models import IntakeResponse
from skinterval.patients import labels


@dataclass(frozen=True)
class Answer:
    label: str
    value: str
    on: date | None = None
    notable: bool = False


@dataclass(frozen=True)
class IntakeFinding:
    code: str
    severity: str
    message: str
    evidence: tuple[str, ...]
    until: date | None


@dataclass(frozen=True)
class IntakeSummary:
    answers: tuple[Answer, ...]
    procedures: tuple[Answer, ...]
    findings: tuple[IntakeFinding, ...]


_FLAGS = (
    ("patient", "pregnant", gettext_lazy("Pregnant, or could be")),
    ("patient", "nursing", gettext_lazy("Breastfeeding")),
    ("history", "anticoagulant", gettext_lazy("Takes anticoagulants or antiplatelets")),
    ("history", "bleeding_disorder", gettext_lazy("Bleeding or clotting disorder")),
    ("history", "keloid_tendency", gettext_lazy("Has formed keloids")),
    ("history", "immunosuppressed", gettext_lazy("Immune system weakened")),
    ("history", "herpes_simplex_history", gettext_lazy("Cold sores (herpes simplex)")),
    ("history", "metal_allergy", gettext_lazy("Metal allergy")),
    ("history", "anaesthetic_allergy", gettext_lazy("Allergy to topical anaesthetic")),
)


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def summarize_intake(intake: IntakeResponse) -> IntakeSummary:
    data: Mapping[str, Any] = intake.answers or {}
    parts = {"patient": data.get("patient") or {}, "history": data.get("history") or {}}
    history = parts["history"]
    answers = []
    for part, key, label in _FLAGS:
        value = parts[part].get(key)
        answers.append(
            Answer(str(label), _("Yes") if value else _("No"), notable=bool(value))
        )
    iso = history.get("isotretinoin") or {}
    status = str(iso.get("status", "never"))
    stopped_on = _date(iso.get("stopped_on"))
    answers.append(
        Answer(
            _("Isotretinoin"),
            _("Stopped (date not known)")
            if status == "stopped" and stopped_on is None
            else labels.label(labels.ISOTRETINOIN_LABELS, status),
            on=stopped_on,
            notable=status != "never",
        )
    )
    diabetes = str(history.get("diabetes", "none"))
    answers.append(
        Answer(
            _("Diabetes"),
            labels.label(labels.DIABETES_LABELS, diabetes),
            notable=diabetes != "none",
        )
    )
    radio = _date(history.get("radiotherapy_to_area_on"))
    answers.append(
        Answer(
            _("Radiotherapy to the skin to be treated"),
            _("Last on") if radio else _("No"),
            on=radio,
            notable=radio is not None,
        )
    )
    procedures = tuple(
        Answer(
            labels.label(labels.PROCEDURE_LABELS, str(row.get("kind", ""))),
            "",
            on=_date(row.get("on")),
            notable=True,
        )
        for row in history.get("recent_procedures") or []
        if isinstance(row, Mapping)
    )
    findings = tuple(
        IntakeFinding(
            code=str(f.get("code", "")),
            severity=str(f.get("severity", "")),
            message=str(f.get("message", "")),
            evidence=tuple(f.get("evidence") or ()),
            until=_date(f.get("until")),
        )
        for f in intake.findings or []
        if isinstance(f, Mapping)
    )
    return IntakeSummary(tuple(answers), procedures, findings)
