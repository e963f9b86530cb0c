"""A bookable clinic A whose patient has an email address, a clock, and a way to
run the worker at a given moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from skinterval import testing as t
from skinterval.appointments.models import ServiceKind, ServiceType
from skinterval.appointments.services import book_appointment
from skinterval.clinics.models import QualificationKind
from skinterval.domain import wallclock
from skinterval.reminders.delivery import Outcome, send_due
from skinterval.reminders.models import OutboxMessage

LONDON = ZoneInfo("Europe/London")
# Monday 4 January 2027, 06:00 in London (UTC+0 in winter): inside the default
# quiet hours (21:00-08:00).
NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
TUESDAY = date(2027, 1, 12)
ASSESSMENT = {
    "assessed_on": "2027-01-04",
    "patient": {"birth_date": "1990-05-01", "fitzpatrick": 2},
    "scars": [{"area": "cheeks", "kind": "rolling", "grade": 3}],
}


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return wallclock.to_utc(day, time(hh, mm), LONDON)


@pytest.fixture
def clinic(world_a):
    """Clinic A open every weekday 09:00-17:00, a micro-needling service and a
    consultation, and a patient who gave an email address."""
    for weekday in range(1, 5):
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
    world_a.consultation = ServiceType.objects.create(
        clinic=world_a.clinic,
        kind=ServiceKind.CONSULTATION,
        name="Consultation",
        duration_min=30,
        needs_room=True,
    )
    world_a.patient.email = "patient.a@example.test"
    world_a.patient.save(update_fields=["email"])
    world_a.location.address = "1 Harbour Street"
    world_a.location.save(update_fields=["address"])
    return world_a


def book(world, starts_at, *, now=NOW, **kwargs):
    values = {
        "patient": world.patient,
        "practitioner": world.practitioner,
        "room": world.room,
        "starts_at": starts_at,
        "now": now,
    }
    values.update(kwargs)
    values.setdefault("service_type", getattr(world, "consultation", None))
    return book_appointment(**values)


def run_worker(at: datetime, *, worker_id: str = "test-worker") -> Outcome:
    """The worker at `at`, until nothing more is due then."""
    total = Outcome()
    while True:
        outcome = send_due(clock=lambda: at, worker_id=worker_id)
        total.add(outcome)
        if not outcome.handled:
            return total


def rows(**filters):
    return list(OutboxMessage.objects.filter(**filters).order_by("due_at", "pk"))


def sent_mail():
    return list(mail.outbox)
