"""Clinic A open for online consultations, on a fixed Monday morning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

# Monday 4 January 2027, 08:00 in London (winter: UTC).
MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def bookable(world_a, world_b, clock):
    """Clinic A's booking page, a 30-minute consultation, Alice working Monday to
    Friday 09:00-17:00 and Dana (a second practitioner) on Tuesdays."""
    from skinterval import testing as t
    from skinterval.appointments.models import ServiceKind, ServiceType
    from skinterval.booking.models import BookingPage
    from skinterval.clinics.models import StaffRole

    for weekday in range(1, 5):
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    t.make_room(world_a.location, name="A room 2")
    dana = t.make_staff(world_a.clinic, StaffRole.PRACTITIONER, username="dana")
    t.make_working_interval(dana, world_a.location, weekday=1)
    world_a.dana = dana
    world_a.page = BookingPage.objects.create(
        clinic=world_a.clinic, contact_text="Call 01234 567890"
    )
    world_a.consultation = ServiceType.objects.create(
        clinic=world_a.clinic,
        kind=ServiceKind.CONSULTATION,
        name="First consultation",
        duration_min=30,
    )
    BookingPage.objects.create(clinic=world_b.clinic)
    ServiceType.objects.create(
        clinic=world_b.clinic,
        kind=ServiceKind.CONSULTATION,
        name="Consultation B",
        duration_min=30,
    )
    return world_a
