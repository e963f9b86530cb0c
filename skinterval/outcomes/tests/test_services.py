"""Check-in use cases: who may do what, and what each leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.outcomes.models import SessionHold
from skinterval.outcomes.services import (
    OutcomeRefused,
    hold_next_session,
    release_session_hold,
    review_check_in,
    submit_check_in,
)

SESSION_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SEVERE_PAIN = CheckInAnswers(Severity.MILD, Severity.MILD, Severity.NONE, pain=8)


def done_session(world, plan, number=1, starts_at=SESSION_AT):
    end = starts_at + timedelta(minutes=45)
    return t.make_appointment(
        world,
        plan_session=plan.sessions.get(number=number),
        starts_at=starts_at,
        ends_at=end,
        blocked_from_at=starts_at,
        blocked_until_at=end,
        status=AppointmentStatus.COMPLETED,
    )


@pytest.fixture
def plan(world_a):
    return t.make_plan(world_a.patient, world_a.practitioner, approve=True)


@pytest.fixture
def check_in(world_a, plan):
    return submit_check_in(
        patient=world_a.patient,
        appointment=done_session(world_a, plan),
        answers=SEVERE_PAIN,
        now=datetime(2027, 1, 9, 23, 30, tzinfo=UTC),
    )


def test_a_check_in_counts_clinic_days_and_records_its_reasons(check_in):
    assert check_in.day_after == 5
    assert check_in.needs_attention
    assert check_in.attention_reasons == ["pain_high"]
    assert check_in.reason_labels == ["Pain 7 or more out of 10"]


def test_days_are_counted_on_the_clinics_calendar(world_a, plan):
    """23:30 UTC on 9 January is already 10 January in Auckland."""
    world_a.clinic.timezone = "Pacific/Auckland"
    world_a.clinic.save()
    # 09:00 UTC on 4 January is 22:00 on 4 January in Auckland.
    row = submit_check_in(
        patient=world_a.patient,
        appointment=done_session(world_a, plan),
        answers=SEVERE_PAIN,
        now=datetime(2027, 1, 9, 23, 30, tzinfo=UTC),
    )
    assert row.day_after == 6


def test_only_completed_sessions_of_the_patient_take_check_ins(world_a, plan):
    upcoming = t.make_appointment(world_a, plan_session=plan.sessions.get(number=1))
    with pytest.raises(OutcomeRefused):
        submit_check_in(
            patient=world_a.patient,
            appointment=upcoming,
            answers=SEVERE_PAIN,
            now=SESSION_AT,
        )
    with pytest.raises(PermissionDenied):
        submit_check_in(
            patient=world_a.other_patient,
            appointment=done_session(world_a, plan, number=2),
            answers=SEVERE_PAIN,
            now=SESSION_AT,
        )


def test_reviewing_twice_keeps_the_first_review(check_in, world_a):
    colleague = t.make_staff(world_a.clinic, username="carol")
    first = review_check_in(
        check_in=check_in, reviewed_by=world_a.practitioner, now=SESSION_AT
    )
    again = review_check_in(
        check_in=check_in, reviewed_by=colleague, now=SESSION_AT + timedelta(hours=1)
    )
    assert again.reviewed_by == world_a.practitioner
    assert again.reviewed_at == first.reviewed_at


@pytest.mark.parametrize("who", ["front_desk", "other_clinic"])
def test_only_the_clinics_practitioners_review_or_hold(check_in, world_a, world_b, who):
    member = world_a.front_desk if who == "front_desk" else world_b.practitioner
    with pytest.raises(PermissionDenied):
        review_check_in(check_in=check_in, reviewed_by=member, now=SESSION_AT)
    with pytest.raises(PermissionDenied):
        hold_next_session(check_in=check_in, held_by=member, reason="", now=SESSION_AT)
    check_in.refresh_from_db()
    assert check_in.reviewed_at is None
    assert not SessionHold.objects.exists()


def test_hold_and_release_the_next_session(check_in, world_a, plan):
    hold = hold_next_session(
        check_in=check_in,
        held_by=world_a.practitioner,
        reason=" Redness. ",
        now=SESSION_AT,
    )
    assert hold.plan_session == plan.sessions.get(number=2)
    assert hold.reason == "Redness."
    assert hold.is_active
    released = release_session_hold(
        hold=hold, released_by=world_a.practitioner, now=SESSION_AT
    )
    assert not released.is_active
    # Once released, the session can be held again.
    hold_next_session(
        check_in=check_in, held_by=world_a.practitioner, reason="", now=SESSION_AT
    )
    assert SessionHold.objects.filter(released_at__isnull=True).count() == 1


def test_after_the_last_session_there_is_nothing_to_hold(world_a, plan):
    last = plan.sessions.order_by("-number").first()
    row = submit_check_in(
        patient=world_a.patient,
        appointment=done_session(world_a, plan, number=last.number),
        answers=SEVERE_PAIN,
        now=SESSION_AT + timedelta(days=1),
    )
    with pytest.raises(OutcomeRefused) as refused:
        hold_next_session(
            check_in=row, held_by=world_a.practitioner, reason="", now=SESSION_AT
        )
    assert refused.value.code == "no_next"
