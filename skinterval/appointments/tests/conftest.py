"""A bookable clinic A: rota on every weekday, a micro-needling service and an
approved plan for clinic A's patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from skinterval import testing as t
from skinterval.appointments.models import ServiceKind, ServiceType
from skinterval.appointments.services import book_appointment
from skinterval.clinics.models import QualificationKind, TimeOff
from skinterval.domain import wallclock
from skinterval.plans.services import approve_plan, create_plan

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # a Monday morning, before opening
ASSESSMENT = {
    "assessed_on": "2027-01-04",
    "patient": {"birth_date": "1990-05-01", "fitzpatrick": 2},
    "scars": [{"area": "cheeks", "kind": "rolling", "grade": 3}],
}


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return wallclock.to_utc(day, time(hh, mm), ZoneInfo("Europe/London"))


@pytest.fixture
def bookable(world_a):
    for weekday in range(1, 5):  # conftest gives Monday; add Tuesday–Friday
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    world_a.service = ServiceType.objects.create(
        clinic=world_a.clinic,
        kind=ServiceKind.MICRONEEDLING,
        name="Micro-needling",
        duration_min=60,
        buffer_after_min=15,
        needs_room=True,
        needs_device=True,
        required_qualification=QualificationKind.MICRONEEDLING,
    )
    world_a.second_room = t.make_room(world_a.location, name="A room 2")
    world_a.second_device = t.make_device(world_a.location, name="A pen 2")
    return world_a


@pytest.fixture
def approved_plan(bookable):
    plan = create_plan(
        patient=bookable.patient,
        assessment=ASSESSMENT,
        created_by=bookable.practitioner,
    )
    return approve_plan(plan=plan, approved_by=bookable.practitioner, now=NOW)


def colleague(world, username=None):
    """Another practitioner of the same clinic, qualified like the first and
    working every weekday at the same location."""
    from skinterval.clinics.models import StaffRole

    other = t.make_staff(
        world.clinic,
        StaffRole.PRACTITIONER,
        username=username,
        qualifications=tuple(q.kind for q in world.practitioner.qualifications.all()),
    )
    for weekday in range(5):
        t.make_working_interval(other, world.location, weekday=weekday)
    return other


@pytest.fixture
def leave(bookable):
    """Three patients with approved plans; session 1 of two of them booked with
    Alice, who then takes leave on those days. Bea can take over."""
    bea = colleague(bookable, username="bea")
    patients = [
        bookable.patient,
        bookable.other_patient,
        t.make_patient(bookable.clinic),
    ]
    plans = []
    for patient in patients:
        plan = create_plan(
            patient=patient, assessment=ASSESSMENT, created_by=bookable.practitioner
        )
        plans.append(
            approve_plan(plan=plan, approved_by=bookable.practitioner, now=NOW)
        )
    booked = []
    for n, plan in enumerate(plans[:2]):
        session = plan.sessions.get(number=1)
        day = session.earliest_on + timedelta(days=1)
        booked.append(
            book_appointment(
                patient=plan.patient,
                service_type=bookable.service,
                practitioner=bookable.practitioner,
                room=bookable.room,
                device=bookable.device,
                starts_at=local(day, 10 + 2 * n),
                now=NOW,
                plan_session=session,
            )
        )
    days = {wallclock.local_date(a.starts_at, bookable.clinic.zone) for a in booked}
    TimeOff.objects.create(
        clinic=bookable.clinic,
        staff_member=bookable.practitioner,
        starts_on=min(days),
        ends_on=max(days),
    )
    bookable.bea = bea
    bookable.plans = plans
    bookable.booked = booked
    return bookable
