"""Pat chooses which messages the clinic sends her."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from skinterval import testing as t
from skinterval.reminders.models import OutboxMessage, OutboxStatus
from skinterval.reminders.services import preferences

PAGE = reverse("portal:messages")


def test_pat_turns_off_reminders_and_what_is_planned_is_withdrawn(
    world_a, pat, as_user
):
    world_a.patient.email = "pat@example.com"
    world_a.patient.save(update_fields=["email"])
    starts = datetime(2027, 1, 5, 10, tzinfo=UTC)
    OutboxMessage.objects.create(
        clinic=world_a.clinic,
        patient=world_a.patient,
        appointment=t.make_appointment(world_a),
        kind="appointment_reminder",
        channel="email",
        due_at=starts - timedelta(hours=24),
        send_at=starts - timedelta(hours=24),
        expires_at=starts,
    )
    client = as_user(pat)
    page = client.get(PAGE).content.decode()
    assert "Appointment confirmations and reminders" in page
    assert "Text message" not in page  # no SMS gateway configured

    response = client.post(PAGE, {"aftercare-email": "on", "recalls-email": "on"})

    assert response.status_code == 302
    chosen = preferences(world_a.patient)
    assert chosen[("appointments", "email")] is False
    assert chosen[("aftercare", "email")] is True
    assert OutboxMessage.objects.get().status == OutboxStatus.CANCELLED
    again = client.get(PAGE).content.decode()
    assert 'name="appointments-email">' in again  # shown unticked
    assert 'name="aftercare-email" checked>' in again


def test_without_an_address_nothing_is_offered(world_a, pat, as_user):
    world_a.patient.email = ""
    world_a.patient.save(update_fields=["email"])

    page = as_user(pat).get(PAGE).content.decode()

    assert "sends you no messages" in page
    assert '<input type="checkbox"' not in page
