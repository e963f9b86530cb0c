"""The PostgreSQL booking fast path: every rule checked and the row written in one
statement.

On PostgreSQL the exclusion constraints already make overlaps impossible, so a
booking needs no read-then-write: one `INSERT … SELECT … WHERE <rules>` either
writes the row or writes nothing. Nothing written, or a constraint refusal, sends
the caller down the full path, which finds the precise reason (or books, when what
stood in the way was a hold that has just expired). The rules are the same as the
full path's: the practitioner is qualified that day, working at the location of
the room and device for the whole block, not on leave, and the location is not
closed. Being an active practitioner, public holidays and "not in the past" are
checked in Python, from the rows already loaded, before the statement.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from functools import cache
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction

from skinterval.appointments.models import Appointment
from skinterval.clinics.models import StaffRole
from skinterval.domain import wallclock

INSERT_CHECKED = """
INSERT INTO appointments_appointment (
    clinic_id, patient_id, service_type_id, practitioner_id, location_id, room_id,
    device_id, plan_session_id, starts_at, ends_at, blocked_from_at,
    blocked_until_at, status, hold_expires_at, window_override_reason,
    outside_window, cancellation_reason, sequence, booked_by_id, created_at,
    updated_at)
SELECT %(clinic)s, %(patient)s, %(service)s, wi.staff_member_id, wi.location_id,
    %(room)s, %(device)s, NULL, %(starts)s, %(ends)s, %(block_from)s,
    %(block_until)s, %(status)s, %(hold)s, '', false, '', 0, %(by)s, %(now)s, %(now)s
FROM clinics_workinginterval wi
WHERE wi.staff_member_id = %(practitioner)s AND wi.clinic_id = %(clinic)s
  AND wi.weekday = %(weekday)s
  AND wi.start_time <= %(local_from)s AND wi.end_time >= %(local_until)s
  AND wi.effective_from_on <= %(day)s
  AND (wi.effective_until_on IS NULL OR wi.effective_until_on >= %(day)s)
  AND (%(location)s::bigint IS NULL OR wi.location_id = %(location)s::bigint)
  AND (%(qualification)s = '' OR EXISTS (
      SELECT 1 FROM clinics_qualification q
      WHERE q.staff_member_id = wi.staff_member_id AND q.kind = %(qualification)s
        AND (q.valid_until_on IS NULL OR q.valid_until_on >= %(day)s)))
  AND NOT EXISTS (
      SELECT 1 FROM clinics_timeoff t
      WHERE t.staff_member_id = wi.staff_member_id AND t.starts_on <= %(day)s
        AND t.ends_on >= %(day)s)
  AND NOT EXISTS (
      SELECT 1 FROM clinics_closure c
      WHERE c.clinic_id = %(clinic)s
        AND (c.location_id IS NULL OR c.location_id = wi.location_id)
        AND c.starts_on <= %(day)s AND c.ends_on >= %(day)s)
LIMIT 1
RETURNING id, location_id
"""


# What a second step of the statement calls the row the first one wrote.
WRITTEN = "written"


@cache
def _with_step(step: str) -> str:
    """The checked INSERT with a second data-modifying step on the row it wrote
    (its audit event): still one statement, one round trip."""
    return (
        f"WITH {WRITTEN} AS ({INSERT_CHECKED}), logged AS ({step}) "  # noqa: S608 - our SQL only
        f"SELECT id, location_id FROM {WRITTEN}"
    )


def _savepoint_if_nested() -> AbstractContextManager[object]:
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def try_insert(
    appointment: Appointment,
    *,
    now: datetime,
    closed: bool,
    step: Callable[[], tuple[str, dict[str, Any]]] | None = None,
    then: Callable[[], object] | None = None,
) -> bool:
    """Write the appointment if every rule holds; False when the full path must
    decide (a rule failed, a constraint refused, or the case is not covered).

    `step` gives a second data-modifying step of the same statement on the row
    written, named `WRITTEN` (the audit event: `audit.services.write_in_statement`),
    and its parameters; it is called only when the fast path applies.
    `then` (the messages the booking causes) runs after the row is written, in
    the same transaction; without it the statement is its own transaction."""
    if connection.vendor != "postgresql" or closed:
        return False
    practitioner = appointment.practitioner
    if not practitioner.is_active or practitioner.role != StaffRole.PRACTITIONER:
        return False  # the full path says why, from the database's current row
    zone = appointment.clinic.zone
    block_from = wallclock.to_local(appointment.blocked_from_at, zone)
    block_until = wallclock.to_local(appointment.blocked_until_at, zone)
    if appointment.starts_at < now or block_until.date() != block_from.date():
        return False
    location = appointment.room.location_id if appointment.room else None
    if appointment.device is not None:
        if location is not None and appointment.device.location_id != location:
            return False
        location = appointment.device.location_id
    params: dict[str, Any] = {
        "clinic": appointment.clinic_id,
        "patient": appointment.patient_id,
        "service": appointment.service_type_id,
        "practitioner": appointment.practitioner_id,
        "room": appointment.room_id,
        "device": appointment.device_id,
        "starts": appointment.starts_at,
        "ends": appointment.ends_at,
        "block_from": appointment.blocked_from_at,
        "block_until": appointment.blocked_until_at,
        "status": appointment.status,
        "hold": appointment.hold_expires_at,
        "by": appointment.booked_by_id,
        "now": now,
        "weekday": block_from.weekday(),
        "local_from": block_from.time(),
        "local_until": block_until.time(),
        "day": block_from.date(),
        "location": location,
        "qualification": appointment.service_type.required_qualification,
    }
    sql = INSERT_CHECKED
    if step is not None:
        text, values = step()
        sql = _with_step(text)
        params.update(values)
    connection.ensure_connection()
    try:
        # In autocommit mode the statement is its own transaction: one round trip.
        # Inside a caller's transaction a savepoint keeps a refusal contained.
        # psycopg's own cursor binds on the server and prepares the statement once
        # per connection, so PostgreSQL does not plan it again for every booking.
        with (
            transaction.atomic() if then is not None else _savepoint_if_nested(),
            psycopg.Cursor(connection.connection) as cursor,
        ):
            cursor.execute(sql, params, prepare=True)
            row = cursor.fetchone()
            if row is not None and then is not None:
                _written(appointment, row, now)
                then()
    except (
        IntegrityError,
        psycopg.IntegrityError,
        psycopg.errors.DeadlockDetected,
        psycopg.errors.SerializationFailure,
    ):
        # A refusal, or a deadlock with a racing booking inside the exclusion
        # check: the full path decides, from what has committed by then.
        appointment.pk = None
        return False
    if row is None:
        return False
    _written(appointment, row, now)
    return True


def _written(appointment: Appointment, row: Any, now: datetime) -> None:
    appointment.pk, appointment.location_id = row
    appointment.created_at = appointment.updated_at = now
