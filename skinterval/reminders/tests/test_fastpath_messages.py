"""On PostgreSQL a plain booking takes the one-statement fast path; when the
patient can be messaged, the outbox rows are written in the same transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from skinterval.appointments.errors import SlotTaken
from skinterval.appointments.models import Appointment
from skinterval.reminders.models import OutboxMessage
from skinterval.reminders.tests.conftest import TUESDAY, book, local

pytestmark = pytest.mark.postgres_only


def test_the_fast_path_writes_the_messages_in_its_transaction(clinic):
    with CaptureQueriesContext(connection) as captured:
        appointment = book(clinic, local(TUESDAY, 10))
    # The appointment went through psycopg's own cursor (the fast path): the
    # query log shows only the outbox's reads and its one insert.
    assert not [q for q in captured if "appointments_appointment" in q["sql"]]
    assert OutboxMessage.objects.filter(appointment=appointment).count() == 3


def test_fast_path_messages_roll_back_with_the_booking(clinic):
    made = []

    def book_then_fail():
        with transaction.atomic():
            made.append(book(clinic, local(TUESDAY, 13)))
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert not Appointment.objects.filter(pk=made[0].pk).exists()
    assert not OutboxMessage.objects.exists()


def test_a_refused_fast_path_booking_leaves_no_message(clinic):
    book(clinic, local(TUESDAY, 10))
    clinic.other_patient.email = "other@example.test"
    clinic.other_patient.save(update_fields=["email"])
    with pytest.raises(SlotTaken):
        book(clinic, local(TUESDAY, 10), patient=clinic.other_patient)
    assert not OutboxMessage.objects.filter(patient=clinic.other_patient).exists()
