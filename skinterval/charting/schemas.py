"""JSON shapes of the session-charting API (`skinterval.charting.api`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool

from skinterval.charting.models import (
    HOLD_FIELDS,
    Anaesthetic,
    ChartStatus,
    Endpoint,
    Reaction,
    SessionChart,
)

NOTES_MAX_CHARS = 5000


class ReCheckIn(Schema):
    """The safety re-check at check-in: anything new since the plan was made.
    Every question must be answered, true or false; any true holds the session."""

    new_pregnancy_or_breastfeeding: StrictBool
    new_isotretinoin: StrictBool
    new_infection_or_wound: StrictBool
    new_procedure: StrictBool
    new_cold_sore: StrictBool


class StartIn(Schema):
    appointment_id: int
    answers: ReCheckIn
    notes: str = Field("", max_length=NOTES_MAX_CHARS)


class AreaIn(Schema):
    area: str = Field(max_length=20, description="A treated area of the plan.")
    depth_mm: Decimal = Field(
        gt=0,
        max_digits=3,
        decimal_places=2,
        description="Needle depth; at most the plan's depth for the area and the "
        "device's maximum.",
    )
    passes: int = Field(ge=1, le=20)
    device_id: int
    cartridge_lot: str = Field(min_length=1, max_length=60)


class CompleteIn(Schema):
    areas: list[AreaIn] = Field(
        min_length=1, description="Every treated area of the plan, once each."
    )
    anaesthetic: Anaesthetic
    adjuncts: str = Field("", max_length=300)
    endpoint: Endpoint
    reaction: Reaction
    notes: str = Field("", max_length=NOTES_MAX_CHARS)


class StaffRef(Schema):
    id: int
    name: str


class DeviceRef(Schema):
    id: int
    name: str


class ReCheckOut(Schema):
    new_pregnancy_or_breastfeeding: bool
    new_isotretinoin: bool
    new_infection_or_wound: bool
    new_procedure: bool
    new_cold_sore: bool


class AreaOut(Schema):
    area: str
    depth_mm: Decimal
    passes: int
    device: DeviceRef
    cartridge_lot: str

    @staticmethod
    def resolve_device(obj: Any) -> dict[str, Any]:
        return {"id": obj.device_id, "name": obj.device.name}


class ChartOut(Schema):
    id: int
    appointment_id: int
    patient_id: UUID
    plan_id: int
    session_number: int | None
    status: ChartStatus
    checked_in_at: datetime
    re_check: ReCheckOut
    held_for: list[str] = Field(description="The re-check questions answered yes.")
    check_in_notes: str
    charted_by: StaffRef
    performed_on: date | None
    anaesthetic: Anaesthetic | None
    adjuncts: str
    endpoint: Endpoint | None
    reaction: Reaction | None
    notes: str
    completed_at: datetime | None
    areas: list[AreaOut]

    @staticmethod
    def resolve_session_number(obj: SessionChart) -> int | None:
        session = obj.appointment.plan_session
        return None if session is None else session.number

    @staticmethod
    def resolve_re_check(obj: SessionChart) -> dict[str, bool]:
        return {name: bool(getattr(obj, name)) for name in HOLD_FIELDS}

    @staticmethod
    def resolve_held_for(obj: SessionChart) -> list[str]:
        return [name for name in HOLD_FIELDS if getattr(obj, name)]

    @staticmethod
    def resolve_charted_by(obj: SessionChart) -> dict[str, Any]:
        return {"id": obj.charted_by_id, "name": obj.charted_by.display_name}

    @staticmethod
    def resolve_anaesthetic(obj: SessionChart) -> str | None:
        return obj.anaesthetic or None

    @staticmethod
    def resolve_endpoint(obj: SessionChart) -> str | None:
        return obj.endpoint or None

    @staticmethod
    def resolve_reaction(obj: SessionChart) -> str | None:
        return obj.reaction or None

    @staticmethod
    def resolve_areas(obj: SessionChart) -> list[Any]:
        return list(obj.areas.all())
