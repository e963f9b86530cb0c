"""Booking, moving and cancelling schedule and replace messages in the same
transaction; nothing stale ever goes out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from skinterval.appointments.errors import SlotTaken
from skinterval.appointments.models import Appointment
from skinterval.appointments.services import (
    cancel_appointment,
    confirm_hold,
    reschedule_appointment,
)
from skinterval.reminders.models import MessageKind, OutboxMessage, OutboxStatus
from skinterval.reminders.tests.conftest import (
    NOW,
    TUESDAY,
    book,
    local,
    rows,
    run_worker,
)

pytestmark = pytest.mark.django_db


def test_booking_schedules_confirmation_and_both_reminders(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    scheduled = [
        (r.kind, r.due_at, r.send_at, r.status) for r in rows(appointment=appointment)
    ]
    assert scheduled == [
        # booked at 06:00, in the quiet hours: a confirmation answers the
        # booking at once (reminders wait for the quiet hours to end)
        (MessageKind.BOOKING_CONFIRMATION, NOW, NOW, OutboxStatus.PENDING),
        (
            MessageKind.APPOINTMENT_REMINDER,
            local(TUESDAY, 10) - timedelta(hours=48),
            local(TUESDAY, 10) - timedelta(hours=48),
            OutboxStatus.PENDING,
        ),
        (
            MessageKind.APPOINTMENT_REMINDER,
            local(TUESDAY, 10) - timedelta(hours=24),
            local(TUESDAY, 10) - timedelta(hours=24),
            OutboxStatus.PENDING,
        ),
    ]


def test_rows_commit_and_roll_back_with_the_booking(clinic):
    inside = []

    def book_then_fail():
        with transaction.atomic():
            book(clinic, local(TUESDAY, 10))
            inside.append(OutboxMessage.objects.count())
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert inside == [3]
    assert not Appointment.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_refused_booking_leaves_no_message(clinic):
    book(clinic, local(TUESDAY, 10))
    with pytest.raises(SlotTaken):
        book(clinic, local(TUESDAY, 10), patient=clinic.other_patient)
    assert {r.patient_id for r in rows()} == {clinic.patient.pk}


def test_each_message_goes_out_once_at_its_time(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    assert run_worker(NOW).sent == 1  # the confirmation, even in quiet hours
    assert "booked for" in mail.outbox[0].body
    assert mail.outbox[0].attachments[0][0] == "appointment.ics"
    assert run_worker(local(NOW.date(), 8)).sent == 0
    assert run_worker(local(NOW.date(), 9)).sent == 0  # nothing else due yet
    assert run_worker(local(TUESDAY, 10) - timedelta(hours=47)).sent == 1
    assert run_worker(local(TUESDAY, 10) - timedelta(hours=23)).sent == 1
    assert "reminder of your appointment" in mail.outbox[2].body
    assert [r.status for r in rows(appointment=appointment)] == [OutboxStatus.SENT] * 3


def test_moving_replaces_the_pending_messages(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    run_worker(local(NOW.date(), 8))  # the confirmation goes out
    moved_at = local(NOW.date(), 12)
    reschedule_appointment(
        appointment=appointment, starts_at=local(TUESDAY, 14), now=moved_at
    )
    by_status = {
        status: sorted(r.due_at for r in rows(appointment=appointment, status=status))
        for status in OutboxStatus.values
    }
    old, new = local(TUESDAY, 10), local(TUESDAY, 14)
    assert by_status[OutboxStatus.SENT] == [NOW]
    assert by_status[OutboxStatus.CANCELLED] == [
        old - timedelta(hours=48),
        old - timedelta(hours=24),
    ]
    assert by_status[OutboxStatus.PENDING] == [
        moved_at,
        new - timedelta(hours=48),
        new - timedelta(hours=24),
    ]
    # Run the worker through to the appointment: only the new time is told.
    for hour in range(12, 24 * 9, 1):
        run_worker(NOW + timedelta(hours=hour))
    bodies = [m.body for m in mail.outbox]
    assert len(bodies) == 4
    assert "has moved" in bodies[1]
    assert all("14:00" in b for b in bodies[1:])
    assert not any("10:00" in b for b in bodies[1:])


def test_moving_back_to_the_first_time_revives_its_reminders(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    appointment = reschedule_appointment(
        appointment=appointment, starts_at=local(TUESDAY, 14), now=NOW
    )
    reschedule_appointment(
        appointment=appointment,
        starts_at=local(TUESDAY, 10),
        now=NOW + timedelta(minutes=5),
    )
    reminders = rows(
        appointment=appointment,
        kind=MessageKind.APPOINTMENT_REMINDER,
        status=OutboxStatus.PENDING,
    )
    assert [r.due_at for r in reminders] == [
        local(TUESDAY, 10) - timedelta(hours=48),
        local(TUESDAY, 10) - timedelta(hours=24),
    ]
    assert {r.appointment_sequence for r in reminders} == {2}


def test_cancelling_withdraws_everything_pending(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    cancel_appointment(appointment=appointment, reason="patient asked", now=NOW)
    assert {r.status for r in rows(appointment=appointment)} == {OutboxStatus.CANCELLED}
    for day in range(9):
        run_worker(NOW + timedelta(days=day, hours=3))
    assert mail.outbox == []


def test_a_change_that_bypassed_the_outbox_is_caught_when_due(clinic):
    """Even if a row was left pending by a change that did not go through the
    services, the worker re-checks the appointment and sends nothing stale."""
    appointment = book(clinic, local(TUESDAY, 10))
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=local(TUESDAY, 15),
        ends_at=local(TUESDAY, 15, 30),
        blocked_from_at=local(TUESDAY, 15),
        blocked_until_at=local(TUESDAY, 15, 30),
        sequence=7,
    )
    run_worker(local(NOW.date(), 8))
    assert mail.outbox == []
    (confirmation,) = rows(kind=MessageKind.BOOKING_CONFIRMATION)
    assert confirmation.status == OutboxStatus.SKIPPED
    assert "moved" in confirmation.note
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    run_worker(local(TUESDAY, 10) - timedelta(hours=47))
    assert mail.outbox == []


def test_a_hold_gets_messages_only_once_confirmed(clinic):
    held = book(clinic, local(TUESDAY, 10), hold_min=10)
    assert rows() == []
    confirm_hold(appointment=held, now=NOW + timedelta(minutes=2))
    assert [r.kind for r in rows(appointment=held)] == [
        MessageKind.BOOKING_CONFIRMATION,
        MessageKind.APPOINTMENT_REMINDER,
        MessageKind.APPOINTMENT_REMINDER,
    ]


def test_a_patient_without_an_address_gets_nothing_scheduled(clinic):
    clinic.patient.email = ""
    clinic.patient.save(update_fields=["email"])
    book(clinic, local(TUESDAY, 10))
    assert rows() == []


def test_reminders_too_close_to_the_booking_are_left_out(clinic):
    # Booked on Monday 06:00 for Tuesday 10:00: the 48 h reminder would be in
    # the past, and the 24 h one is only 4 hours after the confirmation.
    tuesday = NOW.date() + timedelta(days=1)
    early = book(clinic, local(tuesday, 10))
    assert [r.kind for r in rows(appointment=early)] == [
        MessageKind.BOOKING_CONFIRMATION
    ]
    # For 13:00 the 24 h reminder is 7 hours away: it stays.
    later = book(clinic, local(tuesday, 13), patient=clinic.other_patient)
    assert [r.kind for r in rows(appointment=later)] == []  # no email address
    clinic.other_patient.email = "other@example.test"
    clinic.other_patient.save(update_fields=["email"])
    cancel_appointment(appointment=later, reason="", now=NOW)
    later = book(clinic, local(tuesday, 13), patient=clinic.other_patient)
    assert [r.kind for r in rows(appointment=later)] == [
        MessageKind.BOOKING_CONFIRMATION,
        MessageKind.APPOINTMENT_REMINDER,
    ]


def test_the_clinic_chooses_its_reminder_hours(clinic):
    from skinterval.reminders.models import MessagingSettings

    MessagingSettings.objects.create(clinic=clinic.clinic, reminder_hours_before="72")
    appointment = book(clinic, local(TUESDAY, 10))
    reminders = rows(appointment=appointment, kind=MessageKind.APPOINTMENT_REMINDER)
    assert [r.due_at for r in reminders] == [local(TUESDAY, 10) - timedelta(hours=72)]


def test_scheduling_twice_changes_nothing(clinic):
    from skinterval.reminders.services import schedule_for_appointment

    appointment = book(clinic, local(TUESDAY, 10))
    before = [(r.pk, r.status) for r in rows()]
    schedule_for_appointment(appointment=appointment, now=NOW)
    assert [(r.pk, r.status) for r in rows()] == before
