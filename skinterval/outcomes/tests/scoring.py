"""Builders for the score tests: an approved plan with sessions that took place,
and items at the ends of a scale's ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus, ServiceType
from skinterval.domain.scales import Scale

# London is on UTC in winter: these are 10:00 clinic time.
SESSION_1_AT = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
SESSION_2_AT = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
REVIEW_AT = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
LATER = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


def visit(world: Any, starts_at: datetime, **fields: Any) -> Any:
    end = starts_at + timedelta(minutes=45)
    values: dict[str, Any] = {
        "starts_at": starts_at,
        "ends_at": end,
        "blocked_from_at": starts_at,
        "blocked_until_at": end,
        "status": AppointmentStatus.COMPLETED,
    }
    values.update(fields)
    return t.make_appointment(world, **values)


def session(world: Any, plan: Any, number: int, starts_at: datetime, **fields: Any):
    return visit(
        world, starts_at, plan_session=plan.sessions.get(number=number), **fields
    )


def review_visit(world: Any, starts_at: datetime = REVIEW_AT, **fields: Any) -> Any:
    service, _ = ServiceType.objects.get_or_create(
        clinic=world.clinic,
        name="Review visit",
        defaults={"kind": "review", "duration_min": 20},
    )
    return visit(world, starts_at, service_type=service, **fields)


def lowest(scale: Scale) -> dict[str, int]:
    return {item.item_id: item.min_value for item in scale.items}


def highest(scale: Scale) -> dict[str, int]:
    return {item.item_id: item.max_value for item in scale.items}
