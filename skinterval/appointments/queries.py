"""Slot search against the database: load once, search in the domain, map back.

`find_slots_for` serves any service; `slots_for_plan_session` searches inside a
planned session's window, ranked by distance from its target date and keeping the
practitioner of the session before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from skinterval.appointments.availability import load_availability
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    OptimizerRun,
    ServiceType,
)
from skinterval.clinics.models import Clinic, Device, Room, StaffMember
from skinterval.domain import wallclock
from skinterval.domain.slots import Slot, SlotRequest, find_slots
from skinterval.patients.models import Patient
from skinterval.plans.models import PlanSession

DEFAULT_GRID_MIN = 15


@dataclass(frozen=True)
class SlotOption:
    """A bookable slot with the rows it would use."""

    slot: Slot
    practitioner: StaffMember
    room: Room | None
    device: Device | None


def find_slots_for(
    *,
    clinic: Clinic,
    service: ServiceType,
    first_on: date,
    last_on: date,
    now: datetime,
    target_on: date | None = None,
    patient: Patient | None = None,
    practitioners: Sequence[StaffMember] | None = None,
    last_practitioner: StaffMember | None = None,
    preferred_weekdays: frozenset[int] = frozenset(),
    preferred_times: tuple[tuple[time, time], ...] = (),
    min_device_depth_mm: float | None = None,
    limit: int = 10,
    per_day_limit: int | None = None,
    exclude_appointment_id: int | None = None,
    location_id: int | None = None,
) -> list[SlotOption]:
    """The best slots for a service; `location_id` keeps only times when the
    practitioner works at that location (rooms and devices follow them)."""
    today = wallclock.local_date(now, clinic.zone)
    first_on = max(first_on, today)
    if last_on < first_on:
        return []
    availability = load_availability(
        clinic=clinic,
        service=service,
        first_on=first_on,
        last_on=last_on,
        now=now,
        practitioners=practitioners,
        patient=patient,
        min_device_depth_mm=min_device_depth_mm,
        exclude_appointment_id=exclude_appointment_id,
    )
    if location_id is not None:
        here = str(location_id)
        availability = replace(
            availability,
            practitioners=tuple(
                replace(p, free=tuple(f for f in p.free if f.location_id == here))
                for p in availability.practitioners
            ),
        )
    request = SlotRequest(
        duration_min=service.duration_min,
        earliest_on=first_on,
        latest_on=last_on,
        target_on=target_on,
        buffer_before_min=service.buffer_before_min,
        buffer_after_min=service.buffer_after_min,
        grid_min=DEFAULT_GRID_MIN,
        not_before=now,
        preferred_weekdays=preferred_weekdays,
        preferred_times=preferred_times,
        last_practitioner_id=f"p{last_practitioner.pk}" if last_practitioner else None,
        limit=limit,
        per_day_limit=per_day_limit,
    )
    slots = find_slots(
        request,
        zone=availability.zone,
        practitioners=availability.practitioners,
        rooms=availability.rooms,
        devices=availability.devices,
        patient_busy=availability.patient_busy,
    )
    return _options(slots, availability.rows)


def slots_for_plan_session(
    *,
    plan_session: PlanSession,
    service: ServiceType,
    now: datetime,
    limit: int = 10,
    per_day_limit: int | None = 3,
    exclude_appointment_id: int | None = None,
) -> list[SlotOption]:
    """The best slots inside the session's current window."""
    plan = plan_session.plan
    previous = (
        Appointment.objects.filter(
            plan_session__plan=plan, plan_session__number__lt=plan_session.number
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("-plan_session__number")
        .select_related("practitioner")
        .first()
    )
    return find_slots_for(
        clinic=plan.clinic,
        service=service,
        first_on=plan_session.earliest_on,
        last_on=plan_session.latest_on,
        target_on=plan_session.target_on,
        now=now,
        patient=plan.patient,
        last_practitioner=previous.practitioner if previous else None,
        min_device_depth_mm=planned_max_depth_mm(plan.plan),
        limit=limit,
        per_day_limit=per_day_limit,
        exclude_appointment_id=exclude_appointment_id,
    )


def planned_max_depth_mm(plan_json: dict[str, object]) -> float | None:
    """The deepest depth the plan allows in any treated area."""
    depths = [
        float(area["depth_mm"]["max"])
        for area in plan_json.get("areas", [])  # type: ignore[attr-defined]
        if area.get("treat") and area.get("depth_mm")
    ]
    return max(depths) if depths else None


def _options(slots: list[Slot], rows: dict[str, Any]) -> list[SlotOption]:
    """Attach the model rows (already loaded with the availability) to the slots."""
    return [
        SlotOption(
            slot=s,
            practitioner=rows[s.practitioner_id],
            room=rows[s.room_id] if s.room_id else None,
            device=rows[s.device_id] if s.device_id else None,
        )
        for s in slots
    ]


def get_appointment_for_user(user: Any, appointment_id: int) -> Appointment:
    """An appointment of a patient the caller may see (recorded as read in the
    audit log); 404 otherwise."""
    from django.http import Http404

    from skinterval.audit.services import record_read
    from skinterval.patients.queries import patients_for_user

    try:
        appointment = (
            Appointment.objects.filter(patient__in=patients_for_user(user))
            .select_related(
                "patient",
                "clinic",
                "practitioner",
                "room",
                "device",
                "service_type",
                "plan_session__plan",
            )
            .get(pk=appointment_id)
        )
    except Appointment.DoesNotExist:
        raise Http404("No such appointment.") from None
    record_read(appointment, user=user)
    return appointment


def slots_to_move(
    appointment: Appointment, *, now: datetime, limit: int = 6
) -> list[SlotOption]:
    """The best times to move an appointment to: inside its session's window for
    a planned session, otherwise the next two weeks."""
    if appointment.plan_session is not None:
        return slots_for_plan_session(
            plan_session=appointment.plan_session,
            service=appointment.service_type,
            now=now,
            limit=limit,
            per_day_limit=2,
            exclude_appointment_id=appointment.pk,
        )
    today = wallclock.local_date(now, appointment.clinic.zone)
    return find_slots_for(
        clinic=appointment.clinic,
        service=appointment.service_type,
        first_on=today,
        last_on=today + timedelta(days=14),
        now=now,
        patient=appointment.patient,
        limit=limit,
        per_day_limit=2,
        exclude_appointment_id=appointment.pk,
    )


def get_optimizer_run_for_user(user: Any, run_id: int) -> OptimizerRun:
    """A run of the caller's own clinic (staff only); 404 otherwise."""
    from django.http import Http404

    from skinterval.clinics.queries import require_staff

    member = require_staff(user)
    try:
        return OptimizerRun.objects.select_related(
            "location__clinic", "requested_by", "applied_by"
        ).get(clinic_id=member.clinic_id, pk=run_id)
    except OptimizerRun.DoesNotExist:
        raise Http404("No such optimizer run.") from None
