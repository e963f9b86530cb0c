"""Pat's treatment as the portal sees it: clinic A bookable every weekday, an
approved plan, and (for aftercare and check-ins) session 1 done on Monday.

Other patients with logins, to prove the portal never shows Pat's rows to them:
Pam (clinic A's other patient) and Bea (clinic B's patient).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from skinterval import testing as t
from skinterval.appointments.models import ServiceKind, ServiceType
from skinterval.appointments.queries import SlotOption
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.services import sign_consent
from skinterval.clinics.models import QualificationKind
from skinterval.domain.slots import Slot, SlotFit
from skinterval.portal.services import sign_choice

# Monday 4 January 2027, before opening (London is on UTC in January).
MONDAY = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
SESSION_1_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEDNESDAY = datetime(2027, 1, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Freeze the clock; `clock.move_to(when)` moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


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
    return world_a


@pytest.fixture
def plan(bookable, pat, clock):
    """Pat's approved plan (4 sessions about 4 weeks apart, from Monday)."""
    return t.make_plan(bookable.patient, bookable.practitioner, approve=True)


def sign_treatment_consent(world):
    return sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=CURRENT["microneedling"].version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=MONDAY,
    )


@pytest.fixture
def session_1_done(bookable, plan, clock):
    """Session 1 done on Monday at 09:00; the clock then stands on Wednesday
    10:00, day 2 after it."""
    sign_treatment_consent(bookable)
    chart = t.make_charted_session(
        bookable,
        plan,
        1,
        SESSION_1_AT,
        checked_in_at=SESSION_1_AT,
        completed_at=SESSION_1_AT + timedelta(minutes=45),
    )
    clock.move_to(WEDNESDAY)
    return chart.appointment


@pytest.fixture
def pam(world_a):
    """A login for clinic A's other patient."""
    user = t.make_user("pam")
    world_a.other_patient.user = user
    world_a.other_patient.save(update_fields=["user"])
    return user


@pytest.fixture
def bea(world_b):
    """A login for clinic B's patient."""
    user = t.make_user("bea")
    world_b.patient.user = user
    world_b.patient.save(update_fields=["user"])
    return user


def choice_at(world, starts_at: datetime, target: str) -> str:
    """A correctly signed choice for a time the portal did not offer."""
    slot = Slot(
        score=0,
        start=starts_at,
        end=starts_at + timedelta(hours=1),
        practitioner_id=f"p{world.practitioner.pk}",
        room_id=f"r{world.room.pk}",
        device_id=f"d{world.device.pk}",
        location_id=f"l{world.location.pk}",
        fit=SlotFit(0, None, None, None),
    )
    option = SlotOption(slot, world.practitioner, world.room, world.device)
    return sign_choice(option, target=target)
