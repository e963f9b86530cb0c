"""Booking the sessions of an approved plan inside their windows."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from skinterval.appointments.errors import InvalidBooking, OutsideWindow
from skinterval.appointments.services import (
    book_appointment,
    complete_appointment,
    reschedule_appointment,
)
from skinterval.appointments.tests.conftest import ASSESSMENT, NOW, local
from skinterval.domain import wallclock
from skinterval.plans.models import PlanStatus
from skinterval.plans.services import create_plan


def weekday_in_window(session, offset_days=0):
    """A working weekday inside the window, starting `offset_days` from its start."""
    day = session.earliest_on + timedelta(days=offset_days)
    while day.weekday() > 4:
        day += timedelta(days=1)
    assert day <= session.latest_on
    return day


def book_session(w, session, day, **kw):
    values = {
        "patient": w.patient,
        "service_type": w.service,
        "practitioner": w.practitioner,
        "room": w.room,
        "device": w.device,
        "starts_at": local(day, 10),
        "now": NOW,
        "plan_session": session,
    }
    values.update(kw)
    return book_appointment(**values)


def test_the_approved_plan_has_chained_windows(approved_plan):
    sessions = list(approved_plan.sessions.order_by("number"))
    assert len(sessions) >= 3
    gap = approved_plan.interval_min_days
    assert sessions[1].earliest_on == sessions[0].target_on + timedelta(days=gap)


def test_each_session_books_inside_its_window(bookable, approved_plan):
    session = approved_plan.sessions.get(number=1)
    appt = book_session(bookable, session, weekday_in_window(session))
    assert appt.plan_session == session
    assert not appt.outside_window


def test_outside_the_window_needs_a_reason(bookable, approved_plan):
    session = approved_plan.sessions.get(number=2)
    too_early = session.earliest_on - timedelta(days=3)
    while too_early.weekday() > 4:
        too_early -= timedelta(days=1)
    with pytest.raises(OutsideWindow) as caught:
        book_session(bookable, session, too_early)
    assert f"{session.earliest_on:%d %b %Y}" in caught.value.message
    appt = book_session(
        bookable, session, too_early, override_reason="Patient travels abroad"
    )
    assert appt.window_override_reason == "Patient travels abroad"


def test_a_session_is_booked_only_once(bookable, approved_plan):
    session = approved_plan.sessions.get(number=1)
    book_session(bookable, session, weekday_in_window(session))
    with pytest.raises(InvalidBooking) as caught:
        book_session(
            bookable, session, weekday_in_window(session, 1), patient=bookable.patient
        )
    assert caught.value.problems == ("session_already_booked",)


def test_a_draft_plan_cannot_be_booked(bookable):
    draft = create_plan(
        patient=bookable.patient,
        assessment=ASSESSMENT,
        created_by=bookable.practitioner,
    )
    assert draft.status == PlanStatus.DRAFT
    session = draft.sessions.get(number=1)
    with pytest.raises(InvalidBooking) as caught:
        book_session(bookable, session, weekday_in_window(session))
    assert caught.value.problems == ("plan_not_approved",)


def test_windows_reflow_from_the_real_date_and_late_bookings_are_flagged(
    bookable, approved_plan
):
    s1, s2, s3 = (approved_plan.sessions.get(number=n) for n in (1, 2, 3))
    first = book_session(bookable, s1, weekday_in_window(s1))
    third_day = weekday_in_window(s3)
    # Book session 3 early in its planned window (override: session 2 not booked yet
    # and so its window counts from session 2's target).
    third = book_session(bookable, s3, third_day)
    assert not third.outside_window
    # Session 1 moves 9 days later: everything after it moves too.
    new_first = first.starts_at + timedelta(days=9)
    while wallclock.local_date(new_first, bookable.clinic.zone).weekday() > 4:
        new_first += timedelta(days=1)
    s2_before = (s2.earliest_on, s2.latest_on)
    reschedule_appointment(appointment=first, starts_at=new_first, now=NOW)
    s2.refresh_from_db()
    s3.refresh_from_db()
    third.refresh_from_db()
    first_day = wallclock.local_date(new_first, bookable.clinic.zone)
    assert (s2.earliest_on, s2.latest_on) != s2_before
    assert s2.earliest_on == first_day + timedelta(days=approved_plan.interval_min_days)
    assert s3.earliest_on > third_day
    assert third.outside_window


def test_completing_a_session_reflows_from_its_date(bookable, approved_plan):
    s1, s2 = (approved_plan.sessions.get(number=n) for n in (1, 2))
    first = book_session(bookable, s1, weekday_in_window(s1, 2))
    complete_appointment(appointment=first)
    s2.refresh_from_db()
    done_on = wallclock.local_date(first.starts_at, bookable.clinic.zone)
    assert s2.target_on == done_on + timedelta(days=approved_plan.interval_target_days)
    assert time(10) == first.starts_at.astimezone(bookable.clinic.zone).time()
