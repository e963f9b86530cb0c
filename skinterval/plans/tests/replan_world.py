"""A treated patient for the re-planning tests: an approved 4-session plan (cheeks,
rolling scars, grade 3; 28-42 days apart, 1.0-1.5 mm), sessions charted through
the charting services and scores recorded through the outcomes services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from skinterval import testing as t
from skinterval.appointments.models import Appointment, ServiceType
from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
from skinterval.charting.services import (
    AreaEntry,
    complete_session,
    sign_consent,
    start_session,
)
from skinterval.outcomes.services import record_score
from skinterval.plans.models import Plan

FIRST_ON = date(2027, 1, 4)  # the plan's first session


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def service(world: Any, kind: str) -> ServiceType:
    row, _ = ServiceType.objects.get_or_create(
        clinic=world.clinic,
        name=kind.title(),
        defaults={"kind": kind, "duration_min": 45},
    )
    return row


def treated_plan(world: Any, assessment: dict[str, Any] | None = None) -> Plan:
    """An approved plan, the treatment consent signed, a baseline Goodman & Baron
    grade 3 on the cheeks (the day before the first session)."""
    plan = t.make_plan(
        world.patient, world.practitioner, assessment=assessment, approve=True
    )
    sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=at(FIRST_ON - timedelta(days=7)),
    )
    grade(world, None, 3, FIRST_ON - timedelta(days=1))
    return plan


def booking(world: Any, plan: Plan, number: int, on: date) -> Appointment:
    """Session `number` booked on `on` at 10:00 (written directly, no rules)."""
    starts = at(on)
    return t.make_appointment(
        world,
        service_type=service(world, "microneedling"),
        plan_session=plan.sessions.get(number=number),
        device=world.device,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=45),
    )


def session(
    world: Any, plan: Plan, number: int, on: date, reaction: str = "expected"
) -> Appointment:
    """Session `number` done on `on` at 1.0 mm on the cheeks."""
    appointment = booking(world, plan, number, on)
    chart_session(world, appointment, reaction=reaction)
    appointment.refresh_from_db()
    return appointment


def chart_session(
    world: Any,
    appointment: Appointment,
    *,
    depth_mm: str = "1.0",
    reaction: str = "expected",
) -> None:
    """Chart a booked session through the charting services, at its start time,
    on the cheeks at `depth_mm`."""
    starts = appointment.starts_at
    chart = start_session(
        appointment=appointment,
        practitioner=world.practitioner,
        answers=t.NO_NEWS,
        now=starts,
    )
    complete_session(
        chart=chart,
        practitioner=world.practitioner,
        areas=[
            AreaEntry(
                area="cheeks",
                depth_mm=Decimal(depth_mm),
                passes=3,
                device=world.device,
                cartridge_lot="LOT-1",
            )
        ],
        anaesthetic="topical",
        adjuncts="",
        endpoint="pinpoint_bleeding",
        reaction=reaction,
        notes="",
        now=starts + timedelta(minutes=40),
    )


def review_visit(world: Any, on: date) -> Appointment:
    starts = at(on)
    return t.make_appointment(
        world,
        service_type=service(world, "review"),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=30),
        status="completed",
    )


def grade(
    world: Any,
    appointment: Appointment | None,
    value: int,
    on: date | None = None,
    area: str = "cheeks",
) -> Any:
    """A Goodman & Baron qualitative grade by the practitioner: a baseline when
    `appointment` is None (on `on`), else at that visit."""
    if appointment is None:
        occasion = "baseline"
    elif appointment.service_type.kind == "review":
        occasion = "review"
    else:
        occasion = "session"
    now = at(on) if on is not None else appointment.starts_at  # type: ignore[union-attr]
    return record_score(
        patient=world.patient,
        area=area,
        scale="gb_qualitative",
        items={"grade": value},
        occasion=occasion,
        appointment=appointment,
        scored_by=world.practitioner,
        now=now + timedelta(hours=1),
    )
