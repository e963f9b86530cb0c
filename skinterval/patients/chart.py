"""The staff patient chart: what one page shows about one patient.

`patient_chart` gathers, in a fixed number of queries whatever the patient's
history, the plan versions, appointments, consent status, the latest assessment
made readable (medical history with dates, examination, scarred areas scored on
named scales), the progress charts of recorded scores
(`skinterval.outcomes.charts`) and the timeline (`skinterval.patients.timeline`).

The assessment is the planning engine's input stored on `Plan.assessment`
(``assessment.schema.json``). It is read here as stored, without re-validation:
it was valid when the plan was made, and a field the patient was never asked
about shows as "Not recorded" instead of a guessed "No".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.charting.models import Consent, ConsentKind, ConsentStatus
from skinterval.charting.queries import patient_consents
from skinterval.domain.assessment import AREA_ORDER
from skinterval.domain.scales import get_scale
from skinterval.outcomes.charts import ScoreChart, score_progress
from skinterval.patients import labels
from skinterval.patients.models import Fitzpatrick, Patient
from skinterval.patients.timeline import TimelineDay, by_day, patient_timeline
from skinterval.plans.models import Plan

# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class HistoryItem:
    """One line of the medical history or examination.

    `notable` marks a positive finding; the page says so in words (`value`), the
    emphasis is only an aid.
    """

    label: str
    value: str
    on: date | None = None
    notable: bool = False


@dataclass(frozen=True)
class ScaleScore:
    """A score on a named scale, e.g. Goodman & Baron qualitative, grade 3 of 4."""

    scale_id: str
    scale_name: str
    version: str
    text: str  # "grade 3 of 4"
    meaning: str  # the scale's anchor for that value, "" when it has none
    verified: bool


@dataclass(frozen=True)
class ScarredArea:
    area: str
    area_label: str
    kind: str
    kind_label: str
    scores: tuple[ScaleScore, ...]
    count: int | None = None
    wound_closed_on: date | None = None


@dataclass(frozen=True)
class AssessmentSummary:
    plan_id: int
    version: int
    assessed_on: date
    phototype: str
    history: tuple[HistoryItem, ...]
    procedures: tuple[HistoryItem, ...]
    exam: tuple[HistoryItem, ...]
    scars: tuple[ScarredArea, ...]


@dataclass(frozen=True)
class ConsentState:
    """One kind of consent: the one in force, else the last one that ended."""

    kind: str
    label: str
    in_force: Consent | None
    last_ended: Consent | None

    @property
    def withdrawn(self) -> bool:
        return (
            self.in_force is None
            and self.last_ended is not None
            and self.last_ended.status == ConsentStatus.WITHDRAWN
        )


@dataclass(frozen=True)
class PatientChart:
    patient: Patient
    plans: tuple[Plan, ...]
    appointments: tuple[Appointment, ...]
    consents: tuple[ConsentState, ...]
    assessment: AssessmentSummary | None
    timeline: tuple[TimelineDay, ...]
    score_charts: tuple[ScoreChart, ...] = ()


# --------------------------------------------------------------------------- building


def patient_chart(patient: Patient, *, can_open_charts: bool) -> PatientChart:
    """Everything the staff patient page shows. `can_open_charts`: the viewer may
    open session charts (practitioners), so the timeline links to them."""
    plans = tuple(patient.plans.order_by("-version"))
    appointments = tuple(
        patient.appointments.exclude(status=AppointmentStatus.CANCELLED)
        .select_related("service_type", "plan_session")
        .order_by("starts_at")
    )
    return PatientChart(
        patient=patient,
        plans=plans,
        appointments=appointments,
        consents=consent_states(patient_consents(patient)),
        assessment=summarize_assessment(plans[0]) if plans else None,
        timeline=tuple(
            by_day(patient_timeline(patient, can_open_charts=can_open_charts))
        ),
        score_charts=tuple(score_progress(patient)),
    )


def consent_states(
    consents: QuerySet[Consent] | Sequence[Consent],
) -> tuple[ConsentState, ...]:
    """Per kind of consent, the one in force or the most recent that ended."""
    rows = sorted(consents, key=lambda c: c.signed_at, reverse=True)
    states = []
    for kind, kind_label in ConsentKind.choices:
        of_kind = [c for c in rows if c.kind == kind]
        in_force = next((c for c in of_kind if c.in_force), None)
        ended = [c for c in of_kind if not c.in_force and c.ended_at is not None]
        ended.sort(key=lambda c: c.ended_at or c.signed_at, reverse=True)
        states.append(
            ConsentState(
                kind=kind,
                label=str(kind_label),
                in_force=in_force,
                last_ended=None if in_force else next(iter(ended), None),
            )
        )
    return tuple(states)


def summarize_assessment(plan: Plan) -> AssessmentSummary:
    """The plan's stored assessment, readable."""
    data: Mapping[str, Any] = plan.assessment or {}
    patient = data.get("patient") or {}
    history = data.get("history") or {}
    exam = data.get("exam") or {}
    return AssessmentSummary(
        plan_id=plan.pk,
        version=plan.version,
        assessed_on=plan.assessed_on,
        phototype=_phototype(patient.get("fitzpatrick")),
        history=_history(patient, history),
        procedures=_procedures(history.get("recent_procedures") or []),
        exam=_exam(exam),
        scars=_scars(data.get("scars") or []),
    )


# --------------------------------------------------------------------------- history


def _phototype(value: object) -> str:
    if isinstance(value, int) and value in Fitzpatrick.values:
        return str(Fitzpatrick(value).label)
    return _("Not recorded")


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _yes_no(label: str | Promise, data: Mapping[str, Any], key: str) -> HistoryItem:
    if key not in data or data[key] is None:
        return HistoryItem(str(label), _("Not recorded"))
    if data[key]:
        return HistoryItem(str(label), _("Yes"), notable=True)
    return HistoryItem(str(label), _("No"))


def _choice(
    label: str | Promise,
    table: Mapping[str, Promise],
    value: object,
    *,
    normal: str,
) -> HistoryItem:
    if not isinstance(value, str):
        return HistoryItem(str(label), _("Not recorded"))
    return HistoryItem(str(label), labels.label(table, value), notable=value != normal)


_HISTORY_FLAGS: tuple[tuple[str, Promise], ...] = (
    ("anticoagulant", gettext_lazy("Takes anticoagulants")),
    ("bleeding_disorder", gettext_lazy("Bleeding disorder")),
    ("keloid_tendency", gettext_lazy("Tends to form keloids")),
    ("immunosuppressed", gettext_lazy("Immunosuppressed")),
    ("herpes_simplex_history", gettext_lazy("History of cold sores (herpes simplex)")),
    ("metal_allergy", gettext_lazy("Metal allergy")),
    ("anaesthetic_allergy", gettext_lazy("Allergy to topical anaesthetic")),
)


def _history(
    patient: Mapping[str, Any], history: Mapping[str, Any]
) -> tuple[HistoryItem, ...]:
    items = [
        _yes_no(_("Pregnant"), patient, "pregnant"),
        _yes_no(_("Breastfeeding"), patient, "nursing"),
        _isotretinoin(history.get("isotretinoin")),
        *(_yes_no(label, history, key) for key, label in _HISTORY_FLAGS),
        _choice(
            _("Diabetes"),
            labels.DIABETES_LABELS,
            history.get("diabetes"),
            normal="none",
        ),
        _radiotherapy(history),
    ]
    return tuple(items)


def _isotretinoin(value: object) -> HistoryItem:
    name = _("Isotretinoin")
    if not isinstance(value, Mapping) or not isinstance(value.get("status"), str):
        return HistoryItem(name, _("Not recorded"))
    status = value["status"]
    if status == "stopped":
        stopped_on = _date(value.get("stopped_on"))
        if stopped_on is None:
            return HistoryItem(name, _("Stopped (date not recorded)"), notable=True)
        return HistoryItem(name, _("Stopped on"), on=stopped_on, notable=True)
    return HistoryItem(
        name,
        labels.label(labels.ISOTRETINOIN_LABELS, status),
        notable=status != "never",
    )


def _radiotherapy(history: Mapping[str, Any]) -> HistoryItem:
    name = _("Radiotherapy to a treated area")
    if "radiotherapy_to_area_on" not in history:
        return HistoryItem(name, _("None recorded"))
    on = _date(history["radiotherapy_to_area_on"])
    if on is None:
        return HistoryItem(name, _("No"))
    return HistoryItem(name, _("Last on"), on=on, notable=True)


def _procedures(rows: Sequence[Mapping[str, Any]]) -> tuple[HistoryItem, ...]:
    items = [
        HistoryItem(
            labels.label(labels.PROCEDURE_LABELS, str(row.get("kind", ""))),
            labels.label(labels.AREA_LABELS, row["area"]) if row.get("area") else "",
            on=_date(row.get("on")),
            notable=True,
        )
        for row in rows
        if isinstance(row, Mapping)
    ]
    items.sort(key=lambda i: i.on or date.min, reverse=True)
    return tuple(items)


def _areas(codes: object) -> str:
    if not isinstance(codes, list) or not codes:
        return _("None")
    ordered = sorted(
        (str(c) for c in codes), key=lambda c: (AREA_ORDER.get(c, len(AREA_ORDER)), c)
    )
    return ", ".join(labels.label(labels.AREA_LABELS, c) for c in ordered)


def _area_item(label: str, exam: Mapping[str, Any], key: str) -> HistoryItem:
    if key not in exam:
        return HistoryItem(label, _("Not recorded"))
    return HistoryItem(label, _areas(exam[key]), notable=bool(exam[key]))


def _exam(exam: Mapping[str, Any]) -> tuple[HistoryItem, ...]:
    return (
        _area_item(_("Active infection in"), exam, "active_infection_areas"),
        _area_item(_("Open wound in"), exam, "open_wound_areas"),
        _area_item(_("Skin cancer in"), exam, "skin_cancer_areas"),
        _yes_no(_("Active cold sore"), exam, "active_herpes"),
        _choice(
            _("Active acne"),
            labels.ACNE_LABELS,
            exam.get("active_acne"),
            normal="none",
        ),
    )


# --------------------------------------------------------------------------- scars

# Contract field of a scar -> (scale, item) it is scored on, and how a value reads.
SCAR_SCORE_FIELDS: Mapping[str, tuple[str, str, Promise]] = {
    "grade": (
        "gb_qualitative",
        "grade",
        gettext_lazy("grade %(value)s of %(max)s"),
    ),
}


def _scores(scar: Mapping[str, Any]) -> tuple[ScaleScore, ...]:
    scores = []
    for field_name, (scale_id, item_id, phrase) in SCAR_SCORE_FIELDS.items():
        value = scar.get(field_name)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        scale = get_scale(scale_id)
        item = scale.item(item_id)
        scores.append(
            ScaleScore(
                scale_id=scale.scale_id,
                scale_name=scale.name,
                version=scale.version,
                text=str(phrase) % {"value": value, "max": item.max_value},
                meaning=item.anchors.get(value, ""),
                verified=scale.verified,
            )
        )
    return tuple(scores)


def _scars(rows: Sequence[Mapping[str, Any]]) -> tuple[ScarredArea, ...]:
    scars = [
        ScarredArea(
            area=str(row.get("area", "")),
            area_label=labels.label(labels.AREA_LABELS, str(row.get("area", ""))),
            kind=str(row.get("kind", "")),
            kind_label=labels.label(labels.SCAR_KIND_LABELS, str(row.get("kind", ""))),
            scores=_scores(row),
            count=row.get("count") if isinstance(row.get("count"), int) else None,
            wound_closed_on=_date(row.get("wound_closed_on")),
        )
        for row in rows
        if isinstance(row, Mapping)
    ]
    # Canonical area order (the contract's), keeping the assessed order within one.
    scars.sort(key=lambda s: AREA_ORDER.get(s.area, len(AREA_ORDER)))
    return tuple(scars)
