"""Everything the clinic holds about one patient, as JSON for the patient.

Only rows that belong to the patient: their record, plans (every version, with
the assessment and the engine's output), appointments, consents, session charts,
check-ins, holds on their sessions and closure requests. Staff appear by the
name shown to patients only; internal fields (resource blocking times, booking
holds, revision counters, logins) are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.audit.services import record_export
from skinterval.charting.models import Consent, SessionChart
from skinterval.clinics.models import StaffMember
from skinterval.outcomes.models import AccountClosureRequest, CheckIn, SessionHold
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanOverride

FORMAT = "skinterval.patient-export/1"


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(member: StaffMember | None) -> str | None:
    return member.display_name if member is not None else None


def _mm(value: Decimal) -> float:
    return float(value)


def export_patient_data(patient: Patient, *, now: datetime) -> dict[str, Any]:
    """The patient's data. `patient` must be the caller's own record; the export
    is written to the audit log (as the request's login)."""
    record_export(patient)
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "clinic": {"name": patient.clinic.name, "timezone": patient.clinic.timezone},
        "patient": {
            "id": str(patient.pk),
            "chart_number": patient.chart_number,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "born_on": _when(patient.born_on),
            "email": patient.email,
            "phone": patient.phone,
            "fitzpatrick": patient.fitzpatrick,
            "registered_at": _when(patient.created_at),
        },
        "plans": [_plan(p) for p in _plans(patient)],
        "appointments": [_appointment(a) for a in _appointments(patient)],
        "consents": [_consent(c) for c in _consents(patient)],
        "session_charts": [_chart(c) for c in _charts(patient)],
        "check_ins": [_check_in(c) for c in _check_ins(patient)],
        "session_holds": [_hold(h) for h in _holds(patient)],
        "account_closure_requests": [
            _closure(r)
            for r in AccountClosureRequest.objects.filter(patient=patient)
            .select_related("handled_by")
            .order_by("requested_at", "pk")
        ],
    }


def _plans(patient: Patient) -> list[Plan]:
    return list(
        Plan.objects.filter(patient=patient)
        .select_related("created_by", "approved_by")
        .prefetch_related("sessions", "overrides__overridden_by")
        .order_by("version")
    )


def _plan(plan: Plan) -> dict[str, Any]:
    overrides: list[PlanOverride] = list(plan.overrides.all())
    return {
        "id": plan.pk,
        "version": plan.version,
        "status": plan.status,
        "assessed_on": _when(plan.assessed_on),
        "created_at": _when(plan.created_at),
        "created_by": _name(plan.created_by),
        "approved_at": _when(plan.approved_at),
        "approved_by": _name(plan.approved_by),
        "sessions": [
            {
                "number": s.number,
                "earliest_on": _when(s.earliest_on),
                "target_on": _when(s.target_on),
                "latest_on": _when(s.latest_on),
            }
            for s in plan.sessions.all()
        ],
        "overrides": [
            {
                "element": o.element,
                "area": o.area,
                "old_value": o.old_value,
                "new_value": o.new_value,
                "reason": o.reason,
                "overridden_by": _name(o.overridden_by),
                "overridden_at": _when(o.overridden_at),
            }
            for o in overrides
        ],
        "assessment": plan.assessment,
        "plan": plan.plan,
    }


def _appointments(patient: Patient) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient=patient)
        .exclude(status=AppointmentStatus.HELD)
        .select_related(
            "service_type", "practitioner", "location", "room", "plan_session"
        )
        .order_by("starts_at", "pk")
    )


def _appointment(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "service": a.service_type.name,
        "starts_at": _when(a.starts_at),
        "ends_at": _when(a.ends_at),
        "status": a.status,
        "practitioner": _name(a.practitioner),
        "location": a.location.name,
        "room": a.room.name if a.room else None,
        "plan_session": a.plan_session.number if a.plan_session else None,
        "plan_id": a.plan_session.plan_id if a.plan_session else None,
        "outside_window_reason": a.window_override_reason or None,
        "cancellation_reason": a.cancellation_reason or None,
    }


def _consents(patient: Patient) -> list[Consent]:
    return list(
        Consent.objects.filter(patient=patient)
        .select_related("witnessed_by", "withdrawn_by")
        .order_by("signed_at", "pk")
    )


def _consent(c: Consent) -> dict[str, Any]:
    return {
        "id": c.pk,
        "kind": c.kind,
        "photo_scope": c.photo_scope or None,
        "text_version": c.text_version,
        "text_sha256": c.text_sha256,
        "signed_name": c.signed_name,
        "signed_at": _when(c.signed_at),
        "signed_via": c.signed_via,
        "witnessed_by": _name(c.witnessed_by),
        "status": c.status,
        "ended_at": _when(c.ended_at),
        "withdrawal_recorded_by": _name(c.withdrawn_by),
        "withdrawal_reason": c.withdrawal_reason or None,
    }


def _charts(patient: Patient) -> list[SessionChart]:
    return list(
        SessionChart.objects.filter(patient=patient)
        .select_related("charted_by", "appointment__plan_session")
        .prefetch_related("areas__device")
        .order_by("checked_in_at", "pk")
    )


def _chart(c: SessionChart) -> dict[str, Any]:
    session = c.appointment.plan_session
    return {
        "id": c.pk,
        "appointment_id": c.appointment_id,
        "plan_id": c.plan_id,
        "plan_session": session.number if session else None,
        "status": c.status,
        "charted_by": _name(c.charted_by),
        "checked_in_at": _when(c.checked_in_at),
        "safety_recheck": {
            "pregnant_or_breastfeeding": c.new_pregnancy_or_breastfeeding,
            "isotretinoin": c.new_isotretinoin,
            "infection_or_wound": c.new_infection_or_wound,
            "other_procedure": c.new_procedure,
            "cold_sore": c.new_cold_sore,
            "notes": c.check_in_notes,
        },
        "performed_on": _when(c.performed_on),
        "anaesthetic": c.anaesthetic,
        "adjuncts": c.adjuncts,
        "endpoint": c.endpoint,
        "reaction": c.reaction,
        "notes": c.notes,
        "completed_at": _when(c.completed_at),
        "areas": [
            {
                "area": a.area,
                "depth_mm": _mm(a.depth_mm),
                "passes": a.passes,
                "device": a.device.name,
                "cartridge_lot": a.cartridge_lot,
            }
            for a in c.areas.all()
        ],
    }


def _check_ins(patient: Patient) -> list[CheckIn]:
    return list(
        CheckIn.objects.filter(patient=patient)
        .select_related("reviewed_by", "appointment__plan_session")
        .order_by("submitted_at", "pk")
    )


def _check_in(c: CheckIn) -> dict[str, Any]:
    session = c.appointment.plan_session
    return {
        "id": c.pk,
        "appointment_id": c.appointment_id,
        "plan_session": session.number if session else None,
        "day_after": c.day_after,
        "redness": c.get_redness_display().lower(),
        "swelling": c.get_swelling_display().lower(),
        "itching": c.get_itching_display().lower(),
        "pain": c.pain,
        "unexpected": c.unexpected,
        "submitted_at": _when(c.submitted_at),
        "needs_attention": c.needs_attention,
        "attention_reasons": list(c.attention_reasons),
        "reviewed_by": _name(c.reviewed_by),
        "reviewed_at": _when(c.reviewed_at),
    }


def _holds(patient: Patient) -> list[SessionHold]:
    return list(
        SessionHold.objects.filter(plan_session__plan__patient=patient)
        .select_related("plan_session", "held_by", "released_by")
        .order_by("held_at", "pk")
    )


def _hold(h: SessionHold) -> dict[str, Any]:
    return {
        "plan_id": h.plan_session.plan_id,
        "plan_session": h.plan_session.number,
        "check_in_id": h.check_in_id,
        "reason": h.reason,
        "held_by": _name(h.held_by),
        "held_at": _when(h.held_at),
        "released_by": _name(h.released_by),
        "released_at": _when(h.released_at),
    }


def _closure(r: AccountClosureRequest) -> dict[str, Any]:
    return {
        "requested_at": _when(r.requested_at),
        "reason": r.reason,
        "status": r.status,
        "handled_by": _name(r.handled_by),
        "handled_at": _when(r.handled_at),
    }
