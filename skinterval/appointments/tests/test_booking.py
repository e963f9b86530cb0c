"""Booking rules as a receptionist meets them: conflicts, hours, windows, holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skinterval.appointments.errors import (
    InvalidBooking,
    NotAvailable,
    SlotTaken,
)
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    complete_appointment,
    confirm_hold,
    hold_slot,
    mark_no_show,
    release_expired_holds,
    reschedule_appointment,
)
from skinterval.appointments.tests.conftest import NOW, colleague, local
from skinterval.clinics.models import Closure, TimeOff

TUESDAY = date(2027, 1, 5)


def book(w, start, **kw):
    values = {
        "patient": w.patient,
        "service_type": w.service,
        "practitioner": w.practitioner,
        "room": w.room,
        "device": w.device,
        "starts_at": start,
        "now": NOW,
    }
    values.update(kw)
    return book_appointment(**values)


def test_a_free_time_is_booked_with_its_buffer(bookable):
    appt = book(bookable, local(TUESDAY, 10))
    assert appt.status == AppointmentStatus.BOOKED
    assert appt.ends_at - appt.starts_at == timedelta(minutes=60)
    assert appt.blocked_until_at - appt.ends_at == timedelta(minutes=15)
    assert appt.location == bookable.location


# Each case books a second appointment at 10:30 that shares exactly one thing
# with the 10:00 booking already there.
DOUBLE_BOOKINGS = {
    "practitioner_busy": lambda w: {
        "patient": w.other_patient,
        "room": w.second_room,
        "device": w.second_device,
    },
    "room_busy": lambda w: {
        "practitioner": colleague(w),
        "patient": w.other_patient,
        "device": w.second_device,
    },
    "device_busy": lambda w: {
        "practitioner": colleague(w),
        "patient": w.other_patient,
        "room": w.second_room,
    },
    "patient_busy": lambda w: {
        "practitioner": colleague(w),
        "room": w.second_room,
        "device": w.second_device,
    },
}


@pytest.mark.parametrize("problem", sorted(DOUBLE_BOOKINGS))
def test_each_double_booking_is_refused_with_its_reason(bookable, problem):
    book(bookable, local(TUESDAY, 10))
    with pytest.raises(SlotTaken) as caught:
        book(bookable, local(TUESDAY, 10, 30), **DOUBLE_BOOKINGS[problem](bookable))
    assert caught.value.problems == (problem,)
    assert caught.value.status_code == 409
    assert Appointment.objects.count() == 1


def test_the_buffer_after_keeps_the_next_booking_back(bookable):
    book(bookable, local(TUESDAY, 10))
    with pytest.raises(SlotTaken):
        book(bookable, local(TUESDAY, 11), patient=bookable.other_patient)
    later = book(bookable, local(TUESDAY, 11, 15), patient=bookable.other_patient)
    assert later.pk


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (local(TUESDAY, 16, 30), "practitioner_not_working"),  # would end 17:45
        (local(date(2027, 1, 9), 10), "practitioner_not_working"),  # a Saturday
        (local(date(2027, 1, 3), 10), "in_the_past"),
        (local(date(2027, 5, 3), 10), "practitioner_not_working"),  # bank holiday
    ],
)
def test_times_nobody_works_are_refused(bookable, start, problem):
    with pytest.raises(NotAvailable) as caught:
        book(bookable, start)
    assert problem in caught.value.problems
    assert caught.value.status_code == 422


def test_time_off_and_closures_are_respected(bookable):
    TimeOff.objects.create(
        clinic=bookable.clinic,
        staff_member=bookable.practitioner,
        starts_on=TUESDAY,
        ends_on=TUESDAY,
    )
    with pytest.raises(NotAvailable):
        book(bookable, local(TUESDAY, 10))
    Closure.objects.create(
        clinic=bookable.clinic,
        starts_on=TUESDAY + timedelta(days=1),
        ends_on=TUESDAY + timedelta(days=1),
    )
    with pytest.raises(NotAvailable):
        book(bookable, local(TUESDAY + timedelta(days=1), 10))
    assert book(bookable, local(TUESDAY + timedelta(days=2), 10)).pk


def test_an_unqualified_practitioner_is_refused(bookable):
    bookable.practitioner.qualifications.all().delete()
    with pytest.raises(NotAvailable) as caught:
        book(bookable, local(TUESDAY, 10))
    assert caught.value.problems == ("practitioner_not_eligible",)


def test_another_clinics_room_is_refused(bookable, world_b):
    with pytest.raises(InvalidBooking) as caught:
        book(bookable, local(TUESDAY, 10), room=world_b.room)
    assert caught.value.problems == ("other_clinic",)


def test_the_service_needs_its_device(bookable):
    with pytest.raises(InvalidBooking) as caught:
        book(bookable, local(TUESDAY, 10), device=None)
    assert "device_required" in caught.value.problems


# --- holds --------------------------------------------------------------------


def test_a_hold_keeps_the_time_until_it_expires(bookable):
    held = hold_slot(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    assert held.status == AppointmentStatus.HELD
    with pytest.raises(SlotTaken):
        book(bookable, local(TUESDAY, 10), patient=bookable.other_patient)
    after_expiry = NOW + timedelta(minutes=11)
    other = book(
        bookable, local(TUESDAY, 10), patient=bookable.other_patient, now=after_expiry
    )
    held.refresh_from_db()
    assert other.status == AppointmentStatus.BOOKED
    assert held.status == AppointmentStatus.CANCELLED
    assert held.cancellation_reason == "hold expired"


def test_confirming_a_hold_books_it(bookable):
    held = hold_slot(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    booked = confirm_hold(appointment=held, now=NOW + timedelta(minutes=5))
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.hold_expires_at is None


def test_release_expired_holds_counts_what_it_freed(bookable):
    hold_slot(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(TUESDAY, 10),
        now=NOW,
    )
    assert release_expired_holds(now=NOW + timedelta(minutes=5)) == 0
    assert release_expired_holds(now=NOW + timedelta(minutes=10)) == 1


# --- moving and cancelling -------------------------------------------------------


def test_cancelling_frees_the_time_and_cannot_repeat(bookable):
    appt = book(bookable, local(TUESDAY, 10))
    cancel_appointment(appointment=appt, reason="patient asked", now=NOW)
    assert book(bookable, local(TUESDAY, 10), patient=bookable.other_patient).pk
    with pytest.raises(InvalidBooking):
        cancel_appointment(appointment=appt, reason="again", now=NOW)


def test_rescheduling_moves_and_bumps_the_revision(bookable):
    appt = book(bookable, local(TUESDAY, 10))
    moved = reschedule_appointment(
        appointment=appt, starts_at=local(TUESDAY, 14), now=NOW
    )
    assert moved.starts_at == local(TUESDAY, 14)
    assert moved.sequence == 1
    assert book(bookable, local(TUESDAY, 10), patient=bookable.other_patient).pk


def test_a_refused_move_leaves_the_appointment_where_it_was(bookable):
    appt = book(bookable, local(TUESDAY, 10))
    book(bookable, local(TUESDAY, 14), patient=bookable.other_patient)
    with pytest.raises(SlotTaken):
        reschedule_appointment(appointment=appt, starts_at=local(TUESDAY, 14), now=NOW)
    appt.refresh_from_db()
    assert appt.starts_at == local(TUESDAY, 10)
    assert appt.sequence == 0


def test_no_shows_and_completed_visits_cannot_be_moved(bookable):
    appt = book(bookable, local(TUESDAY, 10))
    mark_no_show(appointment=appt)
    with pytest.raises(InvalidBooking):
        reschedule_appointment(appointment=appt, starts_at=local(TUESDAY, 14), now=NOW)
    other = book(bookable, local(TUESDAY, 12), patient=bookable.other_patient)
    complete_appointment(appointment=other)
    with pytest.raises(InvalidBooking):
        cancel_appointment(appointment=other, reason="x", now=NOW)


def test_a_deadlock_with_a_racing_booking_is_a_lost_race(bookable, monkeypatch):
    """PostgreSQL may cancel one of two bookings waiting on each other inside the
    exclusion check; the cancelled one is told the time was taken, not an error."""
    from django.db import OperationalError
    from psycopg.errors import DeadlockDetected

    from skinterval.appointments import fastpath

    def deadlocked(self, *args, **kwargs):
        try:
            raise DeadlockDetected("deadlock detected")
        except DeadlockDetected as cause:
            raise OperationalError("deadlock detected") from cause

    monkeypatch.setattr(fastpath, "try_insert", lambda *a, **k: False)
    monkeypatch.setattr(Appointment, "save", deadlocked)
    with pytest.raises(SlotTaken):
        book(bookable, local(TUESDAY, 10))
