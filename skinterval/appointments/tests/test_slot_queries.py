"""Slot search through the database: inside the window, ranked, few queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from skinterval import testing as t
from skinterval.appointments.queries import find_slots_for, slots_for_plan_session
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW, colleague, local
from skinterval.domain import wallclock


def test_plan_session_slots_lie_in_the_window_nearest_the_target_first(
    bookable, approved_plan
):
    session = approved_plan.sessions.get(number=1)
    options = slots_for_plan_session(
        plan_session=session, service=bookable.service, now=NOW, limit=6
    )
    zone = bookable.clinic.zone
    days = [wallclock.local_date(o.slot.start, zone) for o in options]
    assert options
    assert all(session.earliest_on <= d <= session.latest_on for d in days)
    distances = [abs((d - session.target_on).days) for d in days]
    assert distances == sorted(distances)
    first = options[0]
    assert first.practitioner == bookable.practitioner
    assert first.room in (bookable.room, bookable.second_room)
    assert first.device is not None


def test_the_next_session_keeps_the_same_practitioner(bookable, approved_plan):
    other = colleague(bookable)
    s1, s2 = (approved_plan.sessions.get(number=n) for n in (1, 2))
    day = s1.earliest_on
    while day.weekday() > 4:
        day += timedelta(days=1)
    book_appointment(
        patient=bookable.patient,
        service_type=bookable.service,
        practitioner=other,
        room=bookable.room,
        device=bookable.device,
        starts_at=local(day, 10),
        now=NOW,
        plan_session=s1,
    )
    s2.refresh_from_db()
    best = slots_for_plan_session(plan_session=s2, service=bookable.service, now=NOW)[0]
    assert best.practitioner == other
    assert best.slot.fit.same_practitioner is True


def test_devices_that_cannot_reach_the_planned_depth_are_not_offered(
    bookable, approved_plan
):
    bookable.device.max_depth_mm = Decimal("0.5")
    bookable.device.save()
    session = approved_plan.sessions.get(number=1)
    options = slots_for_plan_session(
        plan_session=session, service=bookable.service, now=NOW, limit=20
    )
    assert options
    assert {o.device for o in options} == {bookable.second_device}


def test_no_slots_in_the_past(bookable):
    options = find_slots_for(
        clinic=bookable.clinic,
        service=bookable.service,
        first_on=date(2027, 1, 1),
        last_on=date(2027, 1, 4),
        now=local(date(2027, 1, 4), 12),
        limit=50,
    )
    assert options
    assert all(o.slot.start >= local(date(2027, 1, 4), 12) for o in options)


def test_the_number_of_queries_does_not_grow_with_the_calendar(bookable):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            find_slots_for(
                clinic=bookable.clinic,
                service=bookable.service,
                first_on=date(2027, 1, 4),
                last_on=date(2027, 1, 22),
                now=NOW,
                patient=bookable.patient,
            )
        return len(captured)

    before = count()
    day = date(2027, 1, 5)
    for n in range(20):
        book_appointment(
            patient=t.make_patient(bookable.clinic),
            service_type=bookable.service,
            practitioner=bookable.practitioner,
            room=bookable.room,
            device=bookable.device,
            starts_at=local(day + timedelta(days=7 * (n // 6)), 9)
            + timedelta(minutes=75 * (n % 6)),
            now=NOW,
        )
    assert count() == before
