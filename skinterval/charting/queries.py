"""Permission-checked reads of consents and charts, and the planning engine's
`prior_sessions` built from completed charts."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404

from skinterval.audit.services import record_read
from skinterval.charting.models import (
    ChartStatus,
    Consent,
    ConsentKind,
    ConsentStatus,
    SessionChart,
)
from skinterval.patients.models import Patient
from skinterval.patients.queries import patients_for_user

if TYPE_CHECKING:
    from skinterval.appointments.models import Appointment
    from skinterval.clinics.queries import AnyUser


def consents_for_user(user: AnyUser) -> QuerySet[Consent]:
    return Consent.objects.filter(patient__in=patients_for_user(user))


def get_consent_for_user(user: AnyUser, consent_id: int) -> Consent:
    try:
        consent = consents_for_user(user).select_related("patient").get(pk=consent_id)
    except Consent.DoesNotExist:
        raise Http404("No such consent.") from None
    record_read(consent, user=user)
    return consent


def consent_in_force(patient: Patient, kind: ConsentKind | str) -> Consent | None:
    """The patient's signed, unwithdrawn consent of that kind, if any."""
    return Consent.objects.filter(
        patient=patient, kind=kind, status=ConsentStatus.SIGNED
    ).first()


def last_completed_chart(patient: Patient) -> SessionChart | None:
    """The patient's most recent completed session, with its areas."""
    return (
        SessionChart.objects.filter(patient=patient, status=ChartStatus.COMPLETED)
        .order_by("-performed_on", "-completed_at")
        .prefetch_related("areas")
        .first()
    )


def prior_sessions(patient: Patient) -> list[dict[str, Any]]:
    """The patient's completed sessions in the assessment contract's
    `prior_sessions` form: date, depth per area and the immediate reaction."""
    charts = (
        SessionChart.objects.filter(patient=patient, status=ChartStatus.COMPLETED)
        .order_by("performed_on", "completed_at")
        .prefetch_related("areas")
    )
    rows: list[dict[str, Any]] = []
    for chart in charts:
        assert chart.performed_on is not None  # noqa: S101 - database constraint
        rows.append(
            {
                "on": chart.performed_on.isoformat(),
                "areas": [
                    {"area": a.area, "depth_mm": _mm(a.depth_mm)}
                    for a in sorted(chart.areas.all(), key=lambda a: a.area)
                ],
                "reaction": chart.reaction,
            }
        )
    return rows


def defaults_from_last(patient: Patient) -> dict[str, Any]:
    """What the patient's last completed session used, to pre-fill the next."""
    last = last_completed_chart(patient)
    if last is None:
        return {"session": {}, "areas": {}}
    return {
        "session": {
            "anaesthetic": last.anaesthetic,
            "adjuncts": last.adjuncts,
            "endpoint": last.endpoint,
        },
        "areas": {
            a.area: {
                "depth_mm": a.depth_mm,
                "passes": a.passes,
                "device": a.device_id,
                "cartridge_lot": a.cartridge_lot,
            }
            for a in last.areas.all()
        },
    }


def _mm(value: Decimal) -> float:
    return float(value)


def patient_consents(patient: Patient) -> QuerySet[Consent]:
    """Every consent of the patient (in force, withdrawn, replaced), newest first,
    with the staff who witnessed it and who recorded a withdrawal."""
    return (
        Consent.objects.filter(patient=patient)
        .select_related("witnessed_by", "withdrawn_by")
        .order_by("-signed_at", "-pk")
    )


def patient_session_charts(patient: Patient) -> QuerySet[SessionChart]:
    """Every session chart of the patient, whatever its status, newest first, with
    the appointment's planned session and (in one more query) the treated areas."""
    return (
        SessionChart.objects.filter(patient=patient)
        .select_related("appointment__plan_session")
        .prefetch_related("areas")
        .order_by("-checked_in_at", "-pk")
    )


def session_charts_for_user(user: AnyUser) -> QuerySet[SessionChart]:
    """Charts of the patients the caller may see."""
    return SessionChart.objects.filter(patient__in=patients_for_user(user))


def get_session_chart_for_user(user: AnyUser, chart_id: int) -> SessionChart:
    """A chart of a patient the caller may see, with its appointment, its
    charting practitioner and (in one more query) its areas; 404 otherwise."""
    try:
        chart = (
            session_charts_for_user(user)
            .select_related(
                "appointment__clinic",
                "appointment__plan_session__plan",
                "charted_by",
                "clinic",
                "patient",
            )
            .prefetch_related("areas__device")
            .get(pk=chart_id)
        )
    except SessionChart.DoesNotExist:
        raise Http404("No such chart.") from None
    record_read(chart, user=user)
    return chart


def chart_of_appointment(
    appointment: Appointment, *, user: AnyUser
) -> SessionChart | None:
    """The session chart of an appointment already loaded through
    `get_appointment_for_user` (None before the session starts); recorded as read."""
    chart = SessionChart.objects.filter(appointment=appointment).first()
    if chart is not None:
        record_read(chart, user=user)
    return chart
