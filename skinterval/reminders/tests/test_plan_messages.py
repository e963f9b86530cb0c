"""Plan approval, booking the series and completed sessions schedule the plan's
messages: the next session's window, aftercare, the check-in request, review
visits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from skinterval import testing as t
from skinterval.appointments.services import cancel_appointment
from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
from skinterval.charting.services import sign_consent
from skinterval.plans.services import approve_plan, create_plan
from skinterval.reminders.models import MessageKind, OutboxStatus
from skinterval.reminders.tests.conftest import (
    ASSESSMENT,
    NOW,
    TUESDAY,
    book,
    local,
    rows,
    run_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(clinic):
    draft = create_plan(
        patient=clinic.patient, assessment=ASSESSMENT, created_by=clinic.practitioner
    )
    return approve_plan(plan=draft, approved_by=clinic.practitioner, now=NOW)


def plan_rows(plan, **filters):
    return [
        (r.kind, r.plan_session.number if r.plan_session else None, r.due_at)
        for r in rows(plan=plan, appointment__isnull=True, **filters)
    ]


def book_session(world, plan, number, starts_at, *, now=NOW):
    return book(
        world,
        starts_at,
        now=now,
        service_type=world.service,
        device=world.device,
        plan_session=plan.sessions.get(number=number),
    )


def test_approval_schedules_the_first_sessions_window(clinic, plan):
    # Session 1's window is 4-18 January; approved on the 4th, "you can book"
    # goes the next morning, "closes soon" 5 days before it closes.
    assert plan_rows(plan, status=OutboxStatus.PENDING) == [
        (MessageKind.WINDOW_OPENS, 1, local(date(2027, 1, 5), 9, 30)),
        (MessageKind.WINDOW_CLOSING, 1, local(date(2027, 1, 13), 9, 30)),
    ]


def test_booking_a_session_moves_the_window_messages_to_the_next(clinic, plan):
    book_session(clinic, plan, 1, local(TUESDAY, 10))
    # Session 2's window re-flowed from 12 January: 9-23 February.
    assert plan_rows(plan, status=OutboxStatus.PENDING) == [
        (MessageKind.WINDOW_OPENS, 2, local(date(2027, 2, 9), 9, 30)),
        (MessageKind.WINDOW_CLOSING, 2, local(date(2027, 2, 18), 9, 30)),
    ]
    assert {k for k, n, _ in plan_rows(plan, status=OutboxStatus.CANCELLED)} == {
        MessageKind.WINDOW_OPENS,
        MessageKind.WINDOW_CLOSING,
    }


def test_cancelling_the_session_brings_its_window_messages_back(clinic, plan):
    appointment = book_session(clinic, plan, 1, local(TUESDAY, 10))
    cancel_appointment(appointment=appointment, reason="", now=NOW)
    assert plan_rows(plan, status=OutboxStatus.PENDING) == [
        (MessageKind.WINDOW_OPENS, 1, local(date(2027, 1, 5), 9, 30)),
        (MessageKind.WINDOW_CLOSING, 1, local(date(2027, 1, 13), 9, 30)),
    ]


def test_window_messages_go_only_while_the_session_is_unbooked(clinic, plan):
    run_worker(local(date(2027, 1, 5), 9, 30))
    (opens,) = mail.outbox
    assert opens.subject == "Time to book your next visit at Clinic A"
    assert "between Monday 4 January 2027 and Monday 18 January 2027" in opens.body
    assert "http://localhost/portal/" in opens.body
    # Booked the same morning: the "closes soon" reminder is withdrawn.
    book_session(clinic, plan, 1, local(TUESDAY, 10), now=local(date(2027, 1, 5), 11))
    run_worker(local(date(2027, 1, 13), 9, 30))
    assert [m.subject for m in mail.outbox if "next visit" in m.subject] == [
        opens.subject
    ]


def test_a_newer_plan_withdraws_the_older_plans_messages(clinic, plan):
    newer = create_plan(
        patient=clinic.patient, assessment=ASSESSMENT, created_by=clinic.practitioner
    )
    approve_plan(plan=newer, approved_by=clinic.practitioner, now=NOW)
    assert plan_rows(plan, status=OutboxStatus.PENDING) == []
    assert len(plan_rows(newer, status=OutboxStatus.PENDING)) == 2


@pytest.fixture
def consented(clinic):
    sign_consent(
        patient=clinic.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=clinic.patient.full_name,
        witnessed_by=clinic.front_desk,
        now=NOW,
    )
    return clinic


def chart(world, plan, number, starts_at):
    return t.make_charted_session(
        world,
        plan,
        number,
        starts_at,
        checked_in_at=starts_at,
        completed_at=starts_at + timedelta(minutes=40),
    )


def test_a_completed_session_brings_aftercare_and_a_check_in_request(consented, plan):
    charted = chart(consented, plan, 1, local(TUESDAY, 10))
    appointment = charted.appointment
    after = rows(appointment=appointment)
    assert [(r.kind, r.due_at) for r in after] == [
        (MessageKind.AFTERCARE, appointment.ends_at),  # day 0: when it ends
        (MessageKind.CHECK_IN_REQUEST, local(TUESDAY + timedelta(days=1), 9, 30)),
    ]
    run_worker(local(TUESDAY, 11))
    (aftercare,) = mail.outbox
    assert aftercare.subject == "A message from Clinic A"
    assert "No make-up for 24 hours." in aftercare.body
    assert "No make-up" not in aftercare.subject
    run_worker(local(TUESDAY + timedelta(days=1), 9, 30))
    assert "How are you doing since your visit?" in mail.outbox[1].body


def test_aftercare_goes_on_each_day_the_plans_advice_starts(consented, plan):
    plan.plan["aftercare"] = [
        {"from_day": 0, "to_day": 1, "advice": "Cool compress.", "basis": "policy"},
        {"from_day": 3, "to_day": 7, "advice": "Restart retinoids.", "basis": "policy"},
    ]
    plan.save(update_fields=["plan"])
    charted = chart(consented, plan, 1, local(TUESDAY, 10))
    aftercare = rows(appointment=charted.appointment, kind=MessageKind.AFTERCARE)
    assert [(r.context["day"], r.due_at) for r in aftercare] == [
        (0, charted.appointment.ends_at),
        (3, local(TUESDAY + timedelta(days=3), 9, 30)),
    ]
    run_worker(local(TUESDAY + timedelta(days=3), 9, 30))
    day3 = [m for m in mail.outbox if "Restart retinoids." in m.body]
    assert len(day3) == 1
    assert "Cool compress." not in day3[0].body


def test_after_the_last_session_the_review_visits_are_recalled(consented, plan):
    starts = [
        local(TUESDAY, 10),
        local(date(2027, 2, 9), 10),
        local(date(2027, 3, 9), 10),
        local(date(2027, 4, 6), 10),
    ]
    for number, at in enumerate(starts, start=1):
        chart(consented, plan, number, at)
    last_on = date(2027, 4, 6)
    recalls = plan_rows(plan, status=OutboxStatus.PENDING)
    # The default rules plan reviews 90 and 180 days after the last session, and
    # no maintenance; the recall goes 14 days before each.
    assert recalls == [
        (
            MessageKind.REVIEW_VISIT,
            None,
            local(last_on + timedelta(days=90 - 14), 9, 30),
        ),
        (
            MessageKind.REVIEW_VISIT,
            None,
            local(last_on + timedelta(days=180 - 14), 9, 30),
        ),
    ]


def test_maintenance_is_recalled_only_when_the_plan_has_it(consented, plan):
    plan.plan["follow_up"] = [
        {"kind": "maintenance", "after_last_session_days": 120, "evidence": []}
    ]
    plan.save(update_fields=["plan"])
    chart(consented, plan, 1, local(TUESDAY, 10))
    for number, day in ((2, date(2027, 2, 9)), (3, date(2027, 3, 9))):
        chart(consented, plan, number, local(day, 10))
    chart(consented, plan, 4, local(date(2027, 4, 6), 10))
    kinds = [k for k, _, _ in plan_rows(plan, status=OutboxStatus.PENDING)]
    assert kinds == [MessageKind.MAINTENANCE_RECALL]
