"""The PostgreSQL fast path books in one statement and never accepts what the
full path would refuse."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skinterval import testing as t
from skinterval.appointments import fastpath, services
from skinterval.appointments.errors import BookingError
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW, local
from skinterval.audit.models import AuditEvent
from skinterval.clinics.models import Closure, TimeOff

pytestmark = pytest.mark.postgres_only
TUESDAY = date(2027, 1, 5)


def test_a_plain_booking_takes_one_statement(bookable):
    with CaptureQueriesContext(connection) as captured:
        appt = book_appointment(
            patient=bookable.patient,
            service_type=bookable.service,
            practitioner=bookable.practitioner,
            room=bookable.room,
            device=bookable.device,
            starts_at=local(TUESDAY, 10),
            now=NOW,
        )
    # The one statement goes through psycopg's own cursor (prepared on the server),
    # so Django's query log sees nothing but the test's savepoint bookkeeping. The
    # audit event is written by that same statement (docs/audit.md) and sealed
    # after the commit, so concurrent bookings never wait for each other on the
    # chain's lock.
    assert not [
        q
        for q in captured
        if "SELECT" in q["sql"] or "INSERT" in q["sql"] or "advisory" in q["sql"]
    ]
    event = AuditEvent.objects.get(object_id=str(appt.pk))
    assert (event.action, event.object_type) == ("create", "appointments.appointment")
    assert event.clinic_id == bookable.clinic.pk
    assert event.row_hash is None  # sealed once the booking commits
    assert appt.location == bookable.location
    assert Appointment.objects.get(pk=appt.pk).status == AppointmentStatus.BOOKED


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    day=st.integers(0, 6),
    hour=st.integers(6, 18),
    quarter=st.integers(0, 3),
    use_second_room=st.booleans(),
)
def test_the_fast_path_decides_like_the_full_path(
    bookable, day, hour, quarter, use_second_room
):
    """Against a calendar with leave, a closure and other bookings."""
    if not hasattr(bookable, "_calendar"):
        TimeOff.objects.create(
            clinic=bookable.clinic,
            staff_member=bookable.practitioner,
            starts_on=TUESDAY + timedelta(days=1),
            ends_on=TUESDAY + timedelta(days=1),
        )
        Closure.objects.create(
            clinic=bookable.clinic,
            starts_on=TUESDAY + timedelta(days=2),
            ends_on=TUESDAY + timedelta(days=2),
        )
        elsewhere = t.make_location(bookable.clinic)
        bookable.far_room = t.make_room(elsewhere)
        bookable._calendar = True
    start = local(TUESDAY - timedelta(days=1) + timedelta(days=day), hour) + timedelta(
        minutes=15 * quarter
    )
    appointment = Appointment(
        clinic=bookable.clinic,
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=bookable.practitioner,
        room=bookable.far_room if use_second_room else bookable.room,
        device=bookable.device,
        starts_at=start,
        ends_at=start + timedelta(minutes=60),
        blocked_from_at=start,
        blocked_until_at=start + timedelta(minutes=75),
    )
    sid = transaction.savepoint()
    fast = fastpath.try_insert(appointment, now=NOW, closed=False)
    transaction.savepoint_rollback(sid)
    appointment.pk = None
    try:
        services._check_placement(appointment, now=NOW)
        full = True
    except BookingError:
        full = False
    # Without holds or planned sessions the two paths must agree exactly: the fast
    # path accepts nothing the full path refuses, and gives up on nothing it allows.
    assert fast == full
