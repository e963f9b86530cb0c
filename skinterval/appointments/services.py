"""Booking use cases: hold, book, move, cancel, arrive, complete, no-show.

Race-free by construction. Every write runs in one transaction that re-checks the
time against the database's current state before writing. On SQLite that
transaction starts with BEGIN IMMEDIATE (settings), so bookings are serialised; on
PostgreSQL two bookings can pass the check together, and the exclusion constraints
(migration 0002) let only one of them commit: the other gets `SlotTaken`, never a
server error.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, OperationalError, transaction

from skinterval.appointments import fastpath
from skinterval.appointments.availability import (
    device_key,
    eligible_practitioners,
    is_public_holiday,
    load_availability,
    room_key,
)
from skinterval.appointments.errors import (
    BookingError,
    InvalidBooking,
    NotAvailable,
    OutsideWindow,
    SlotTaken,
)
from skinterval.appointments.models import Appointment, AppointmentStatus, ServiceType
from skinterval.appointments.waitlist import close_requests_of, offer_freed_times_later
from skinterval.audit.models import AuditAction
from skinterval.audit.sealing import seal_after_commit
from skinterval.audit.services import record_write, write_in_statement
from skinterval.clinics.models import Device, Room, StaffMember
from skinterval.domain import wallclock
from skinterval.domain.plan import IntervalWindow, ScheduleRow
from skinterval.domain.series import outside_window, reflow
from skinterval.domain.slots import Resource, SlotRequest, check_slot
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus
from skinterval.reminders import services as messages

DEFAULT_HOLD_MIN = 10
EXCLUSION_VIOLATION = "23P01"
# Deadlock and serialization failure: PostgreSQL cancelled one of two racing
# bookings while they waited on each other.
LOST_RACE_STATES = {"40P01", "40001"}
MOVABLE = (AppointmentStatus.HELD, AppointmentStatus.BOOKED)
# still to be done: what a re-planned version takes over
_TO_COME = (*MOVABLE, AppointmentStatus.ARRIVED)


def book_appointment(
    *,
    patient: Patient,
    service_type: ServiceType,
    practitioner: StaffMember,
    starts_at: datetime,
    now: datetime,
    room: Room | None = None,
    device: Device | None = None,
    plan_session: PlanSession | None = None,
    override_reason: str = "",
    booked_by: StaffMember | None = None,
    hold_min: int | None = None,
) -> Appointment:
    """Book (or, with `hold_min`, hold for that many minutes) one appointment."""
    _check_request(patient, service_type, practitioner, room, device, plan_session)
    clinic = patient.clinic
    ends_at = starts_at + timedelta(minutes=service_type.duration_min)
    appointment = Appointment(
        clinic=clinic,
        patient=patient,
        service_type=service_type,
        practitioner=practitioner,
        room=room,
        device=device,
        plan_session=plan_session,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from_at=starts_at - timedelta(minutes=service_type.buffer_before_min),
        blocked_until_at=ends_at + timedelta(minutes=service_type.buffer_after_min),
        status=AppointmentStatus.HELD if hold_min else AppointmentStatus.BOOKED,
        hold_expires_at=now + timedelta(minutes=hold_min) if hold_min else None,
        window_override_reason=override_reason.strip(),
        booked_by=booked_by,
    )
    day = wallclock.local_date(starts_at, clinic.zone)
    if plan_session is None and fastpath.try_insert(
        appointment,
        now=now,
        closed=is_public_holiday(clinic, day),
        step=partial(
            write_in_statement,
            appointment,
            AuditAction.CREATE,
            by=booked_by,
            written=fastpath.WRITTEN,
        ),
        then=messages.scheduler_for(appointment, now=now),
    ):
        seal_after_commit()
        return appointment
    with transaction.atomic():
        release_expired_holds(clinic_id=clinic.pk, now=now)
        location = _check_placement(appointment, now=now)
        appointment.location_id = location
        _save_or_taken(appointment)
        if plan_session is not None:
            reflow_series(plan=plan_session.plan)
        messages.schedule_for_appointment(appointment=appointment, now=now)
        record_write(appointment, AuditAction.CREATE, by=booked_by)
    return appointment


def hold_slot(*, hold_min: int = DEFAULT_HOLD_MIN, **kwargs: Any) -> Appointment:
    """Reserve a time for a few minutes while someone completes a booking form."""
    return book_appointment(hold_min=hold_min, **kwargs)


def confirm_hold(*, appointment: Appointment, now: datetime) -> Appointment:
    with transaction.atomic():
        held = _locked(appointment)
        if held.status != AppointmentStatus.HELD:
            raise InvalidBooking(["not_movable"])
        if held.hold_expires_at is not None and held.hold_expires_at <= now:
            # The hold lapsed; the time may still be free. Check again.
            _check_placement(held, now=now)
        held.status = AppointmentStatus.BOOKED
        held.hold_expires_at = None
        _save_or_taken(held)
        messages.schedule_for_appointment(appointment=held, now=now)
        record_write(held, AuditAction.UPDATE)
    return held


def reschedule_appointment(
    *,
    appointment: Appointment,
    starts_at: datetime,
    now: datetime,
    practitioner: StaffMember | None = None,
    room: Room | None = None,
    device: Device | None = None,
    override_reason: str = "",
) -> Appointment:
    """Move an appointment (same service, patient and planned session)."""
    with transaction.atomic():
        moving = _locked(appointment)
        if moving.status not in MOVABLE:
            raise InvalidBooking(["not_movable"])
        service = moving.service_type
        moving.practitioner = practitioner or moving.practitioner
        moving.room = room if room is not None else moving.room
        moving.device = device if device is not None else moving.device
        _check_request(
            moving.patient,
            service,
            moving.practitioner,
            moving.room,
            moving.device,
            None,
        )
        moving.starts_at = starts_at
        moving.ends_at = starts_at + timedelta(minutes=service.duration_min)
        moving.blocked_from_at = starts_at - timedelta(
            minutes=service.buffer_before_min
        )
        moving.blocked_until_at = moving.ends_at + timedelta(
            minutes=service.buffer_after_min
        )
        moving.window_override_reason = override_reason.strip()
        release_expired_holds(clinic_id=moving.clinic_id, now=now)
        moving.location_id = _check_placement(moving, now=now)
        moving.sequence += 1
        _save_or_taken(moving)
        if moving.plan_session is not None:
            reflow_series(plan=moving.plan_session.plan)
        messages.schedule_for_appointment(appointment=moving, now=now)
        record_write(moving, AuditAction.UPDATE)
    return moving


def cancel_appointment(
    *, appointment: Appointment, reason: str, now: datetime
) -> Appointment:
    with transaction.atomic():
        cancelling = _locked(appointment)
        if cancelling.status not in MOVABLE:
            raise InvalidBooking(["not_movable"])
        cancelling.status = AppointmentStatus.CANCELLED
        cancelling.cancellation_reason = reason[:200]
        cancelling.hold_expires_at = None
        cancelling.sequence += 1
        cancelling.save()
        if cancelling.plan_session is not None:
            reflow_series(plan=cancelling.plan_session.plan)
        messages.cancel_for_appointment(appointment=cancelling, now=now)
        close_requests_of(cancelling, now=now)
        offer_freed_times_later([cancelling.pk])
        record_write(cancelling, AuditAction.UPDATE)
    return cancelling


def _set_status(
    appointment: Appointment, status: AppointmentStatus, allowed: tuple[str, ...]
) -> Appointment:
    with transaction.atomic():
        row = _locked(appointment)
        if row.status not in allowed:
            raise InvalidBooking(["not_movable"])
        row.status = status
        row.save(update_fields=["status", "updated_at"])
        if row.plan_session is not None:
            reflow_series(plan=row.plan_session.plan)
        record_write(row, AuditAction.UPDATE)
    return row


def mark_arrived(*, appointment: Appointment) -> Appointment:
    return _set_status(
        appointment, AppointmentStatus.ARRIVED, (AppointmentStatus.BOOKED,)
    )


def complete_appointment(*, appointment: Appointment) -> Appointment:
    return _set_status(
        appointment,
        AppointmentStatus.COMPLETED,
        (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),
    )


def mark_no_show(*, appointment: Appointment) -> Appointment:
    return _set_status(
        appointment, AppointmentStatus.NO_SHOW, (AppointmentStatus.BOOKED,)
    )


def release_expired_holds(*, clinic_id: int | None = None, now: datetime) -> int:
    """Free every hold whose time is up; returns how many were released."""
    expired = Appointment.objects.filter(
        status=AppointmentStatus.HELD, hold_expires_at__lte=now
    )
    if clinic_id is not None:
        expired = expired.filter(clinic_id=clinic_id)
    offer_freed_times_later(expired.values_list("pk", flat=True))
    return expired.update(
        status=AppointmentStatus.CANCELLED,
        cancellation_reason="hold expired",
        hold_expires_at=None,
    )


def reflow_series(*, plan: Plan) -> None:
    """Re-flow the plan's session windows from the dates of its appointments, and
    flag bookings that no longer fit their window. Only the approved plan's: a
    superseded version keeps its windows, and the flags `carry_bookings_over`
    left on its bookings stay."""
    if plan.status != PlanStatus.APPROVED:
        return
    zone = plan.clinic.zone
    sessions = list(plan.sessions.order_by("number"))
    active = {
        a.plan_session_id: a
        for a in Appointment.objects.filter(plan_session__plan=plan).exclude(
            status=AppointmentStatus.CANCELLED
        )
    }
    actual = {
        s.number: wallclock.local_date(active[s.pk].starts_at, zone)
        for s in sessions
        if s.pk in active
    }
    rows = reflow(
        planned_rows(plan),
        IntervalWindow(
            plan.interval_min_days, plan.interval_target_days, plan.interval_max_days
        ),
        actual,
    )
    late = outside_window(rows, actual)
    by_number = {row.number: row for row in rows}
    for session in sessions:
        row = by_number[session.number]
        if (session.earliest_on, session.target_on, session.latest_on) != (
            row.earliest_on,
            row.target_on,
            row.latest_on,
        ):
            session.earliest_on, session.target_on, session.latest_on = (
                row.earliest_on,
                row.target_on,
                row.latest_on,
            )
            session.save(update_fields=["earliest_on", "target_on", "latest_on"])
        appointment = active.get(session.pk)
        if appointment is not None:
            flagged = session.number in late
            if appointment.outside_window != flagged:
                appointment.outside_window = flagged
                appointment.save(update_fields=["outside_window", "updated_at"])


def carry_bookings_over(
    *, superseded: Plan, approved: Plan, by: StaffMember
) -> list[Appointment]:
    """A plan was approved over the patient's earlier one (call in the approval's
    transaction). When it is a new version of the same series (re-planned, or
    overridden from a re-plan: `derived_from` leads back to the earlier plan),
    bookings still to come move to the new version's session of the same
    number, so they can be charted on the day (charting takes only sessions of
    the approved plan); the new windows then re-flow from them and a booking
    outside its new window is flagged. A booking whose session the new version
    no longer has (the series was shortened or stopped), or any booking when
    the new plan starts another series, stays where it was, flagged, for the
    front desk to cancel or change; so does a patient who has arrived and whose
    chart was begun under the earlier version. Completed sessions stay with the
    version they were done under. Returns the bookings that moved."""
    new_sessions = (
        {s.number: s for s in approved.sessions.all()}
        if _descends_from(approved, superseded)
        else {}
    )
    # a chart already begun belongs to the version it was begun under
    charted = set(
        Appointment.objects.filter(
            plan_session__plan=superseded, chart__isnull=False
        ).values_list("pk", flat=True)
    )
    moved: list[Appointment] = []
    for appointment in (
        Appointment.objects.select_for_update()
        .filter(plan_session__plan=superseded, status__in=_TO_COME)
        .select_related("plan_session")
        .order_by("starts_at", "pk")
    ):
        assert appointment.plan_session is not None  # noqa: S101 - filtered on it
        target = (
            None
            if appointment.pk in charted
            else new_sessions.get(appointment.plan_session.number)
        )
        if target is not None:
            appointment.plan_session = target
            appointment.save(update_fields=["plan_session", "updated_at"])
            moved.append(appointment)
        elif not appointment.outside_window:
            appointment.outside_window = True
            appointment.save(update_fields=["outside_window", "updated_at"])
        else:
            continue
        record_write(appointment, AuditAction.UPDATE, by=by)
    if moved:
        reflow_series(plan=approved)
    return moved


def _descends_from(plan: Plan, earlier: Plan, *, steps: int = 20) -> bool:
    """Whether `earlier` is in `plan`'s lineage (its `derived_from` chain)."""
    parent_id = plan.derived_from_id
    for _ in range(steps):
        if parent_id is None:
            return False
        if parent_id == earlier.pk:
            return True
        parent_id = (
            Plan.objects.filter(pk=parent_id)
            .values_list("derived_from_id", flat=True)
            .first()
        )
    return False


def planned_rows(plan: Plan) -> tuple[ScheduleRow, ...]:
    """The schedule as the engine planned it (the approved plan's JSON)."""
    return tuple(
        ScheduleRow(
            int(row["number"]),
            date.fromisoformat(row["earliest_on"]),
            date.fromisoformat(row["target_on"]),
            date.fromisoformat(row["latest_on"]),
        )
        for row in plan.plan.get("schedule", [])
    )


# --- checks ------------------------------------------------------------------


def _check_request(
    patient: Patient,
    service: ServiceType,
    practitioner: StaffMember,
    room: Room | None,
    device: Device | None,
    plan_session: PlanSession | None,
) -> None:
    clinic_id = patient.clinic_id
    linked = [service, practitioner, room, device, plan_session]
    if any(obj is not None and obj.clinic_id != clinic_id for obj in linked):
        raise InvalidBooking(["other_clinic"])
    problems = []
    if service.needs_room and room is None:
        problems.append("room_required")
    if service.needs_device and device is None:
        problems.append("device_required")
    if room is not None and not room.is_active:
        problems.append("room_unavailable")
    if device is not None and not device.is_active:
        problems.append("device_unavailable")
    if plan_session is not None:
        plan = plan_session.plan
        if plan.status != PlanStatus.APPROVED or plan.patient_id != patient.pk:
            problems.append("plan_not_approved")
    if problems:
        raise InvalidBooking(problems)


def _check_placement(appointment: Appointment, *, now: datetime) -> int:
    """Re-check the appointment's time against the database; returns its location.

    Raises SlotTaken for conflicts with other bookings, NotAvailable when the
    practitioner or a resource is not working, OutsideWindow for a planned session
    booked outside its window without a reason.
    """
    clinic = appointment.clinic
    zone = clinic.zone
    service = appointment.service_type
    day = wallclock.local_date(appointment.starts_at, zone)
    practitioner = appointment.practitioner
    if practitioner not in eligible_practitioners(clinic, service, day):
        raise NotAvailable(["practitioner_not_eligible"])
    session = appointment.plan_session
    if session is not None:
        taken = Appointment.objects.filter(plan_session=session).exclude(
            status=AppointmentStatus.CANCELLED
        )
        if appointment.pk:
            taken = taken.exclude(pk=appointment.pk)
        if taken.exists():
            raise InvalidBooking(["session_already_booked"])
        session.refresh_from_db()
        if not session.window_contains(day) and not appointment.window_override_reason:
            raise OutsideWindow(
                ["outside_window"],
                detail=_window_words(session),
            )
    availability = load_availability(
        clinic=clinic,
        service=service,
        first_on=day - timedelta(days=1),
        last_on=day + timedelta(days=1),
        now=now,
        practitioners=[practitioner],
        patient=appointment.patient,
        exclude_appointment_id=appointment.pk,
    )
    rooms = {r.id: r for r in availability.rooms or ()}
    devices = {d.id: d for d in availability.devices or ()}
    problems = check_slot(
        SlotRequest(
            duration_min=service.duration_min,
            earliest_on=day,
            latest_on=day,
            buffer_before_min=service.buffer_before_min,
            buffer_after_min=service.buffer_after_min,
            not_before=now,
        ),
        zone=zone,
        start=appointment.starts_at,
        practitioner=availability.practitioners[0],
        room=rooms.get(room_key(appointment.room_id)) if appointment.room_id else None,
        device=devices.get(device_key(appointment.device_id))
        if appointment.device_id
        else None,
        patient_busy=availability.patient_busy,
    )
    if any(p.endswith("_busy") for p in problems):
        raise SlotTaken([p for p in problems if p.endswith("_busy")])
    if problems:
        raise NotAvailable(problems)
    location = _working_location(availability.practitioners[0], appointment)
    if location is None:  # pragma: no cover - check_slot already refused
        raise NotAvailable(["practitioner_not_working"])
    return location


def _working_location(resource: Resource, appointment: Appointment) -> int | None:
    """The location of the practitioner's working stretch holding the booking."""
    for span in resource.free:
        if (
            span.start
            <= appointment.blocked_from_at
            < appointment.blocked_until_at
            <= span.end
        ):
            return int(span.location_id)
    return None


def _save_or_taken(appointment: Appointment) -> None:
    """Save; a database overlap refusal (lost race) becomes SlotTaken.

    Two bookings racing for overlapping times can also wait on each other inside
    PostgreSQL's exclusion check until it cancels one of them as a deadlock: that
    one lost the race too.
    """
    try:
        with transaction.atomic():
            appointment.save()
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) in LOST_RACE_STATES:
            raise SlotTaken(["slot_taken"]) from exc
        raise
    except IntegrityError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotTaken(["slot_taken"]) from exc
        if "appointment_one_active_per_plan_session" in str(exc):
            raise InvalidBooking(["session_already_booked"]) from exc
        raise


def _locked(appointment: Appointment) -> Appointment:
    """The row again, locked for this transaction (PostgreSQL; SQLite is already
    serialised)."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service_type", "clinic", "patient", "plan_session__plan")
        .get(pk=appointment.pk)
    )


__all__ = [
    "BookingError",
    "book_appointment",
    "cancel_appointment",
    "complete_appointment",
    "confirm_hold",
    "hold_slot",
    "mark_arrived",
    "mark_no_show",
    "release_expired_holds",
    "reschedule_appointment",
]


def _window_words(session: PlanSession) -> str:
    return f"({session.earliest_on:%d %b %Y} – {session.latest_on:%d %b %Y})"
