"""Consent and session-charting use cases.

No session starts without a signed micro-needling consent in force; any "yes" at the
safety re-check holds the session; depths above the plan's depth for the area or the
device's maximum are refused. Completing a chart completes the appointment through
`appointments.services.complete_appointment`, which re-flows the later windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import complete_appointment, mark_arrived
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.charting import consent_texts
from skinterval.charting.models import (
    HOLD_FIELDS,
    ChartedArea,
    ChartStatus,
    Consent,
    ConsentKind,
    ConsentStatus,
    PhotoScope,
    SessionChart,
    SignedVia,
)
from skinterval.charting.queries import consent_in_force
from skinterval.clinics.models import Device, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanStatus
from skinterval.reminders import services as messages


class ChartingRefused(Exception):
    """The step cannot be done; the message says why, in the user's language."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- consent -----------------------------------------------------------------


def sign_consent(
    *,
    patient: Patient,
    kind: ConsentKind | str,
    text_version: str,
    signed_name: str,
    witnessed_by: StaffMember | None,
    now: datetime,
    photo_scope: PhotoScope | str = "",
    signed_via: SignedVia | str = SignedVia.TABLET,
) -> Consent:
    """Record a consent signed on the clinic's tablet before a staff witness, or
    by the patient in the portal (logged in as themself, no witness). A consent
    of the same kind still in force is replaced by this one."""
    if signed_via == SignedVia.TABLET:
        if witnessed_by is None or witnessed_by.clinic_id != patient.clinic_id:
            raise PermissionDenied("Staff of the patient's clinic only.")
    elif signed_via == SignedVia.PORTAL:
        if witnessed_by is not None:
            raise ValueError("A consent signed in the portal has no witness.")
    else:
        raise ValueError(f"Unknown way of signing: {signed_via!r}")
    text = consent_texts.CURRENT.get(str(kind))
    if text is None or text.version != text_version:
        raise ChartingRefused(
            _(
                "The consent text has changed since this page was opened; "
                "read the new one."
            ),
            code="text_changed",
        )
    if (kind == ConsentKind.PHOTOS) != bool(photo_scope):
        raise ChartingRefused(
            _("Choose how the photographs may be used."), code="photo_scope"
        )
    name = " ".join(signed_name.split())
    if not name:
        raise ChartingRefused(_("Type your full name."), code="signed_name")
    with transaction.atomic():
        Consent.objects.select_for_update().filter(
            patient=patient, kind=kind, status=ConsentStatus.SIGNED
        ).update(status=ConsentStatus.REPLACED, ended_at=now)
        consent = Consent.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            kind=kind,
            photo_scope=photo_scope,
            text_version=text.version,
            text_sha256=text.sha256,
            signed_name=name,
            signed_at=now,
            signed_via=signed_via,
            witnessed_by=witnessed_by,
        )
        # The witness signs for the clinic; in the portal, the patient's login.
        record_write(consent, AuditAction.CREATE, by=witnessed_by)
    return consent


def withdraw_consent(
    *, consent: Consent, withdrawn_by: StaffMember, reason: str, now: datetime
) -> Consent:
    """Record the patient's withdrawal of a consent in force."""
    if withdrawn_by.clinic_id != consent.clinic_id:
        raise PermissionDenied("Staff of the patient's clinic only.")
    with transaction.atomic():
        row = Consent.objects.select_for_update().get(pk=consent.pk)
        if row.status != ConsentStatus.SIGNED:
            raise ChartingRefused(
                _("This consent is no longer in force."), code="not_in_force"
            )
        row.status = ConsentStatus.WITHDRAWN
        row.ended_at = now
        row.withdrawn_by = withdrawn_by
        row.withdrawal_reason = reason.strip()
        row.save(
            update_fields=["status", "ended_at", "withdrawn_by", "withdrawal_reason"]
        )
        record_write(row, AuditAction.UPDATE, by=withdrawn_by)
    return row


# --- charting ----------------------------------------------------------------


def chartable_plan(appointment: Appointment) -> Plan:
    """The approved plan an appointment is a session of; refused otherwise."""
    session = appointment.plan_session
    if session is None:
        raise ChartingRefused(
            _("Only a planned micro-needling session is charted here."),
            code="not_a_session",
        )
    plan = session.plan
    if plan.status != PlanStatus.APPROVED:
        raise ChartingRefused(
            _(
                "This session belongs to a plan that is no longer the approved one: "
                "re-assess and re-plan before treating."
            ),
            code="plan_not_approved",
        )
    return plan


def require_treatment_consent(patient: Patient) -> Consent:
    consent = consent_in_force(patient, ConsentKind.MICRONEEDLING)
    if consent is None:
        raise ChartingRefused(
            _(
                "No session starts without the patient's signed consent to "
                "micro-needling, and there is none in force."
            ),
            code="no_consent",
        )
    return consent


def _require_practitioner(member: StaffMember, appointment: Appointment) -> None:
    if member.clinic_id != appointment.clinic_id or (
        member.role != StaffRole.PRACTITIONER
    ):
        raise PermissionDenied("Only the clinic's practitioners chart sessions.")


def start_session(
    *,
    appointment: Appointment,
    practitioner: StaffMember,
    answers: dict[str, bool],
    notes: str = "",
    now: datetime,
) -> SessionChart:
    """The safety re-check at check-in. Every answer is recorded; any "yes" holds
    the session (the chart is kept, marked held, and cannot be continued)."""
    _require_practitioner(practitioner, appointment)
    plan = chartable_plan(appointment)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
        raise ChartingRefused(
            _("Only a booked session can be started."), code="not_booked"
        )
    missing = [name for name in HOLD_FIELDS if name not in answers]
    if missing:
        raise ValueError(f"Unanswered re-check questions: {missing}")
    with transaction.atomic():
        consent = require_treatment_consent(appointment.patient)
        if SessionChart.objects.filter(appointment=appointment).exists():
            raise ChartingRefused(
                _("This session has already been started."), code="started"
            )
        held = any(answers[name] for name in HOLD_FIELDS)
        chart = SessionChart.objects.create(
            clinic_id=appointment.clinic_id,
            appointment=appointment,
            patient=appointment.patient,
            plan=plan,
            consent=consent,
            charted_by=practitioner,
            status=ChartStatus.HELD if held else ChartStatus.IN_PROGRESS,
            checked_in_at=now,
            check_in_notes=notes.strip(),
            **{name: bool(answers[name]) for name in HOLD_FIELDS},
        )
        if appointment.status == AppointmentStatus.BOOKED:
            mark_arrived(appointment=appointment)
        record_write(chart, AuditAction.CREATE, by=practitioner)
    return chart


@dataclass(frozen=True, slots=True)
class AreaEntry:
    area: str
    depth_mm: Decimal
    passes: int
    device: Device
    cartridge_lot: str


@dataclass(frozen=True, slots=True)
class AreaCap:
    """The deepest a treated area may go: the plan's depth for it."""

    area: str
    min_mm: Decimal
    max_mm: Decimal


def area_caps(plan: Plan) -> dict[str, AreaCap]:
    """The plan's treated areas and their depth ranges, in the plan's order."""
    caps: dict[str, AreaCap] = {}
    for row in plan.plan.get("areas", []):
        depth = row.get("depth_mm")
        if row.get("treat") and depth:
            caps[row["area"]] = AreaCap(
                area=row["area"],
                min_mm=Decimal(str(depth["min"])),
                max_mm=Decimal(str(depth["max"])),
            )
    return caps


def depth_refusal(depth_mm: Decimal, cap: AreaCap, device: Device | None) -> str | None:
    """Why a depth is refused for an area, or None when it is allowed."""
    if depth_mm <= 0:
        return _("A depth must be more than 0 mm.")
    if depth_mm > cap.max_mm:
        return _(
            "%(depth)s mm is deeper than the plan allows for this area "
            "(%(cap)s mm): re-plan to go deeper."
        ) % {"depth": _fmt(depth_mm), "cap": _fmt(cap.max_mm)}
    if device is not None and depth_mm > device.max_depth_mm:
        return _(
            "%(depth)s mm is deeper than the maximum of %(device)s (%(cap)s mm)."
        ) % {
            "depth": _fmt(depth_mm),
            "device": device.name,
            "cap": _fmt(device.max_depth_mm),
        }
    return None


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


class DepthRefused(ChartingRefused):
    def __init__(self, reasons: dict[str, str]) -> None:
        super().__init__(_("A depth is above what is allowed."), code="depth_refused")
        self.reasons = reasons


def complete_session(
    *,
    chart: SessionChart,
    practitioner: StaffMember,
    areas: list[AreaEntry],
    anaesthetic: str,
    adjuncts: str,
    endpoint: str,
    reaction: str,
    notes: str,
    now: datetime,
) -> SessionChart:
    """Record what was done in each treated area and complete the appointment."""
    appointment = chart.appointment
    _require_practitioner(practitioner, appointment)
    if chart.status != ChartStatus.IN_PROGRESS:
        raise ChartingRefused(
            _("Only a session being charted can be completed."), code="not_open"
        )
    plan = chartable_plan(appointment)
    caps = area_caps(plan)
    if sorted(a.area for a in areas) != sorted(caps):
        raise ChartingRefused(
            _("Chart every treated area of the plan, once each."), code="areas"
        )
    reasons: dict[str, str] = {}
    for entry in areas:
        if entry.device.clinic_id != chart.clinic_id:
            raise PermissionDenied("Devices of the clinic only.")
        reason = depth_refusal(entry.depth_mm, caps[entry.area], entry.device)
        if reason:
            reasons[entry.area] = reason
    if reasons:
        raise DepthRefused(reasons)
    with transaction.atomic():
        require_treatment_consent(chart.patient)
        row = SessionChart.objects.select_for_update().get(pk=chart.pk)
        if row.status != ChartStatus.IN_PROGRESS:
            raise ChartingRefused(
                _("Only a session being charted can be completed."), code="not_open"
            )
        ChartedArea.objects.bulk_create(
            ChartedArea(
                clinic_id=row.clinic_id,
                chart=row,
                area=entry.area,
                depth_mm=entry.depth_mm,
                passes=entry.passes,
                device=entry.device,
                cartridge_lot=entry.cartridge_lot.strip(),
            )
            for entry in areas
        )
        row.status = ChartStatus.COMPLETED
        row.performed_on = wallclock.local_date(appointment.starts_at, row.clinic.zone)
        row.anaesthetic = anaesthetic
        row.adjuncts = adjuncts.strip()
        row.endpoint = endpoint
        row.reaction = reaction
        row.notes = notes.strip()
        row.completed_at = now
        row.save()
        complete_appointment(appointment=appointment)
        messages.schedule_after_session(appointment=appointment, now=now)
        record_write(row, AuditAction.UPDATE, by=practitioner)
    return row
