"""JSON shapes of the scheduling API (`skinterval.appointments.api`).

Instants are aware ISO-8601 (`2027-01-05T10:00:00Z`); a naive instant in a body is
refused with a field error, because the API cannot guess the clinic's offset on the
caller's behalf. Days are clinic-local dates (`2027-01-05`). Nothing about a
patient but their id.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, P, PathEx, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from skinterval.api_common import MAX_ID
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.domain import wallclock

REASON_MAX_CHARS = 500
MAX_HOLD_MIN = 60
MAX_SLOT_RESULTS = 50


# The days the API accepts: the domain's calendar (see wallclock.FIRST_DAY).
FIRST_DAY = wallclock.FIRST_DAY
LAST_DAY = wallclock.LAST_DAY


def _iso_day(value: object) -> object:
    """Only `YYYY-MM-DD`: pydantic would also read a number as a Unix time."""
    if not isinstance(value, str | date) or (
        isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        raise ValueError("Enter a day as YYYY-MM-DD.")
    return value


def _plausible_day(value: date) -> date:
    """Days the clinic's calendar can hold (and time-zone arithmetic can reach)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"Enter a day from {FIRST_DAY} to {LAST_DAY}.")
    return value


def _iso_instant(value: object) -> object:
    """Only ISO-8601 text: pydantic would also read a number as a Unix time."""
    if not isinstance(value, str | datetime):
        raise ValueError("Enter an ISO-8601 time with its offset.")
    return value


def _plausible_instant(value: datetime) -> datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"Enter a time from {FIRST_DAY} to {LAST_DAY}.")
    return value


Instant = Annotated[
    AwareDatetime, BeforeValidator(_iso_instant), AfterValidator(_plausible_instant)
]
"""An aware ISO-8601 instant (`2027-01-05T10:00:00Z`); a naive one is refused."""

RowId = PathEx[int, P(ge=1, le=MAX_ID)]
"""A row id in a path: 1 to the largest 64-bit integer (422 outside)."""

Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_plausible_day)]
"""A clinic-local day in a query string, written `YYYY-MM-DD`."""


class Ref(Schema):
    """Another row, by id and the name staff know it by."""

    id: int
    name: str


class PlanSessionRef(Schema):
    id: int
    plan_id: int
    number: int
    earliest_on: date
    target_on: date
    latest_on: date


class SlotOut(Schema):
    rank: int = Field(description="1 is the best slot.")
    starts_at: datetime
    ends_at: datetime
    practitioner: Ref
    room: Ref | None
    device: Ref | None
    location_id: int
    score: int = Field(description="Lower is better; the ranking's sort key.")
    days_from_target: int | None = Field(
        description="Days from the target date (null when no target was given)."
    )
    same_practitioner: bool | None = Field(
        description="Same practitioner as the session before (null: no earlier one)."
    )
    why: str = Field(description="The ranking in words.")


class SlotsOut(Schema):
    """Best first. A ranking, not a stored list: it changes with every booking, so
    it is bounded by `limit` rather than paged."""

    items: list[SlotOut]


class AppointmentOut(Schema):
    id: int
    patient_id: UUID
    service: Ref
    practitioner: Ref
    location: Ref
    room: Ref | None
    device: Ref | None
    plan_session: PlanSessionRef | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    hold_expires_at: datetime | None
    outside_window: bool = Field(
        description="The windows re-flowed and this booking no longer fits its own."
    )
    window_override_reason: str
    cancellation_reason: str
    sequence: int = Field(description="Bumped on every move or cancellation.")

    @staticmethod
    def resolve_service(obj: Appointment) -> dict[str, Any]:
        return {"id": obj.service_type_id, "name": obj.service_type.name}

    @staticmethod
    def resolve_practitioner(obj: Appointment) -> dict[str, Any]:
        return {"id": obj.practitioner_id, "name": obj.practitioner.display_name}

    @staticmethod
    def resolve_location(obj: Appointment) -> dict[str, Any]:
        return {"id": obj.location_id, "name": obj.location.name}

    @staticmethod
    def resolve_room(obj: Appointment) -> dict[str, Any] | None:
        room = obj.room
        return None if room is None else {"id": room.pk, "name": room.name}

    @staticmethod
    def resolve_device(obj: Appointment) -> dict[str, Any] | None:
        device = obj.device
        return None if device is None else {"id": device.pk, "name": device.name}

    @staticmethod
    def resolve_plan_session(obj: Appointment) -> dict[str, Any] | None:
        session = obj.plan_session
        if session is None:
            return None
        return {
            "id": session.pk,
            "plan_id": session.plan_id,
            "number": session.number,
            "earliest_on": session.earliest_on,
            "target_on": session.target_on,
            "latest_on": session.latest_on,
        }


class BookIn(Schema):
    patient_id: UUID
    service_id: int
    practitioner_id: int
    starts_at: Instant
    room_id: int | None = None
    device_id: int | None = None
    plan_session_id: int | None = Field(
        None, description="Book this planned session (inside its window)."
    )
    override_reason: str = Field(
        "",
        max_length=REASON_MAX_CHARS,
        description="Why a planned session is booked outside its window.",
    )


class HoldIn(BookIn):
    hold_min: int = Field(
        10, ge=1, le=MAX_HOLD_MIN, description="Minutes before the hold lapses."
    )


class MoveIn(Schema):
    starts_at: Instant
    practitioner_id: int | None = Field(None, description="Default: unchanged.")
    room_id: int | None = Field(None, description="Default: unchanged.")
    device_id: int | None = Field(None, description="Default: unchanged.")
    override_reason: str = Field("", max_length=REASON_MAX_CHARS)


class CancelIn(Schema):
    reason: str = Field("", max_length=200)
