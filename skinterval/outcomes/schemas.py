"""JSON shapes of the scores and check-ins API (`skinterval.outcomes.api`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictInt

from skinterval.outcomes.models import CheckIn, Score, ScoreOccasion


class StaffRef(Schema):
    id: int
    name: str


class ScoreIn(Schema):
    patient_id: UUID
    area: str = Field(max_length=40, description="An area code, e.g. `cheeks`.")
    scale: str = Field(max_length=40, description="A scale id, e.g. `ecca`.")
    items: dict[str, StrictInt] = Field(
        description="Item id -> integer score, as the scale defines its items."
    )
    appointment_id: int | None = Field(
        None,
        description="The visit scored (it must have taken place); none for a "
        "baseline score before treatment.",
    )


class ScoreOut(Schema):
    id: int
    patient_id: UUID
    plan_id: int | None
    appointment_id: int | None
    occasion: ScoreOccasion
    area: str
    scale: str
    scale_version: str
    items: dict[str, int]
    total: Decimal = Field(description="Computed by the scale, never typed.")
    scored_on: date
    scored_by: StaffRef | None = Field(description="Null: reported by the patient.")
    created_at: datetime

    @staticmethod
    def resolve_scored_by(obj: Score) -> dict[str, Any] | None:
        member = obj.scored_by
        return (
            None if member is None else {"id": member.pk, "name": member.display_name}
        )


class CheckInOut(Schema):
    id: int
    patient_id: UUID
    appointment_id: int
    session_number: int | None
    day_after: int = Field(description="Clinic-local days after the session.")
    redness: int = Field(description="0 none, 1 mild, 2 moderate, 3 severe.")
    swelling: int
    itching: int
    pain: int = Field(description="0-10.")
    unexpected: str = Field(description="Anything unexpected, in the patient's words.")
    submitted_at: datetime
    needs_attention: bool
    attention_reasons: list[str] = Field(
        description="Codes from the clinic's check-in alert policy."
    )
    attention_labels: list[str]
    reviewed_at: datetime | None
    reviewed_by: StaffRef | None

    @staticmethod
    def resolve_session_number(obj: CheckIn) -> int | None:
        session = obj.appointment.plan_session
        return None if session is None else session.number

    @staticmethod
    def resolve_attention_labels(obj: CheckIn) -> list[str]:
        return obj.reason_labels

    @staticmethod
    def resolve_reviewed_by(obj: CheckIn) -> dict[str, Any] | None:
        member = obj.reviewed_by
        return (
            None if member is None else {"id": member.pk, "name": member.display_name}
        )
