"""The outcome report's input: one `Course` per treated patient of a clinic, read
in four queries (charts with their areas and devices, plans, scores)."""

from __future__ import annotations

from datetime import date

from skinterval.charting.models import ChartStatus, SessionChart
from skinterval.clinics.models import Clinic
from skinterval.domain.outcome_report import (
    Course,
    OutcomeReport,
    ScoreRecord,
    SessionRecord,
    outcome_report,
)
from skinterval.domain.ruleset import load_rules
from skinterval.outcomes.models import Score


def clinic_courses(clinic: Clinic, on: date) -> list[Course]:
    """Every patient of `clinic` with a completed session by `on`. Scar types,
    phototype and protocol (the clinical rules version) come from the plan of the
    patient's latest session; the practitioner is who charted each session, the
    devices those used on its areas."""
    charts = (
        SessionChart.objects.filter(
            clinic=clinic, status=ChartStatus.COMPLETED, performed_on__lte=on
        )
        .select_related("charted_by", "plan", "patient")
        .prefetch_related("areas__device")
        .order_by("patient_id", "performed_on", "completed_at", "pk")
    )
    by_patient: dict[str, list[SessionChart]] = {}
    for chart in charts:
        by_patient.setdefault(str(chart.patient_id), []).append(chart)
    scores: dict[str, list[ScoreRecord]] = {}
    for score in Score.objects.filter(
        clinic=clinic, patient_id__in=list(by_patient), scored_on__lte=on
    ).order_by("scored_on", "created_at", "pk"):
        scores.setdefault(str(score.patient_id), []).append(
            ScoreRecord(
                area=score.area,
                scale=score.scale,
                version=score.scale_version,
                occasion=score.occasion,
                on=score.scored_on,
                total=float(score.total),
            )
        )
    courses: list[Course] = []
    for key, rows in by_patient.items():
        latest = rows[-1]
        assessment = latest.plan.assessment
        phototype = assessment.get("patient", {}).get("fitzpatrick")
        courses.append(
            Course(
                patient=key,
                scar_types=tuple(
                    sorted({s["kind"] for s in assessment.get("scars", [])})
                ),
                phototype=phototype if phototype else latest.patient.fitzpatrick,
                protocol=latest.plan.rules_version,
                sessions=tuple(_session(chart) for chart in rows),
                scores=tuple(scores.get(key, ())),
            )
        )
    return courses


def _session(chart: SessionChart) -> SessionRecord:
    assert chart.performed_on is not None  # noqa: S101 - completed charts
    return SessionRecord(
        on=chart.performed_on,
        practitioner=chart.charted_by.display_name,
        devices=tuple(sorted({a.device.name for a in chart.areas.all()})),
        reaction=chart.reaction or None,
    )


def clinic_outcome_report(clinic: Clinic, on: date) -> OutcomeReport:
    """The clinic's outcome report as of `on` (the caller has checked the role:
    the clinic is the caller's own)."""
    return outcome_report(
        clinic_courses(clinic, on),
        on=on,
        judge_after_days=load_rules().limits.response_judge_after_days,
    )
