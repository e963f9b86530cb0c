"""EpochMinutes agrees with the domain's own minute count, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from skinterval.appointments.models import Appointment
from skinterval.appointments.services import book_appointment
from skinterval.appointments.sql import EpochMinutes
from skinterval.appointments.tests.conftest import NOW, local
from skinterval.domain.slots import to_minutes


def test_epoch_minutes_match_the_domain(bookable):
    start = local(date(2027, 3, 30), 10, 15)  # just after the DST change
    book_appointment(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=start,
        now=NOW,
    )
    row = Appointment.objects.values_list(
        EpochMinutes("starts_at"), EpochMinutes("blocked_until_at")
    ).get()
    assert row == (to_minutes(start), to_minutes(start + timedelta(minutes=75)))
    assert to_minutes(datetime(1970, 1, 1, 1, tzinfo=UTC)) == 60
