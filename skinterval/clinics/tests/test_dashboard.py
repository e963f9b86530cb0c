"""The dashboard shows today's work and who needs booking or approving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from skinterval import testing as t
from skinterval.clinics.dashboard import dashboard_for


@pytest.mark.parametrize(
    ("now", "bucket"),
    [
        (datetime(2027, 1, 1, 9, tzinfo=UTC), "opening"),
        (datetime(2027, 1, 12, 9, tzinfo=UTC), "closing"),
        (datetime(2027, 1, 20, 9, tzinfo=UTC), "closed"),
    ],
)
def test_the_next_unbooked_session_is_sorted_by_its_window(world_a, now, bucket):
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    board = dashboard_for(world_a.clinic, now)
    first = plan.sessions.get(number=1)
    assert getattr(board, bucket) == [first]
    others = {"opening", "closing", "closed"} - {bucket}
    assert all(getattr(board, name) == [] for name in others)


def test_a_booked_session_needs_no_booking(world_a):
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    first = plan.sessions.get(number=1)
    t.make_appointment(world_a, plan_session=first)
    board = dashboard_for(world_a.clinic, datetime(2027, 1, 20, 9, tzinfo=UTC))
    assert first not in board.closed
    # the next one waits for session 1's date, and is not listed as closed
    assert [s.number for s in board.closed + board.closing + board.opening] == []


def test_drafts_are_split_by_physician_review(world_a):
    plain = t.make_plan(world_a.patient, world_a.practitioner)
    review = t.make_plan(
        world_a.other_patient,
        world_a.practitioner,
        assessment=dict(t.SIMPLE_ASSESSMENT, history={"keloid_tendency": True}),
    )
    board = dashboard_for(world_a.clinic, datetime(2027, 1, 1, tzinfo=UTC))
    assert board.awaiting_approval == [plain]
    assert board.awaiting_physician == [review]


def test_todays_appointments_by_practitioner_on_the_page(world_a, world_b, as_user):
    today = t.make_appointment(world_a)  # 5 Jan 2027, 10:00 UTC
    t.make_appointment(world_b)
    with time_machine.travel(datetime(2027, 1, 5, 8, tzinfo=UTC), tick=False):
        response = as_user(world_a.front_desk.user).get(reverse("clinics:dashboard"))
    text = response.content.decode()
    assert response.status_code == 200
    assert world_a.practitioner.display_name in text
    assert reverse("appointments:detail", args=[today.pk]) in text
    assert world_b.patient.given_name not in text


def test_adverse_reactions_and_held_sessions_of_two_weeks_need_a_look(
    world_a, world_b, as_user
):
    from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
    from skinterval.charting.services import sign_consent

    patients = (world_a.patient, world_a.other_patient, t.make_patient(world_a.clinic))
    plans = []
    for patient in patients:
        plans.append(t.make_plan(patient, world_a.practitioner, approve=True))
        sign_consent(
            patient=patient,
            kind="microneedling",
            text_version=MICRONEEDLING_2027_01.version,
            signed_name=patient.full_name,
            witnessed_by=world_a.front_desk,
            now=datetime(2027, 1, 4, 8, tzinfo=UTC),
        )

    def session(plan, day, hour, **kwargs):
        world_a.patient = plan.patient
        starts = datetime(2027, 1, day, hour, tzinfo=UTC)
        kwargs.setdefault("completed_at", starts + timedelta(minutes=40))
        return t.make_charted_session(
            world_a, plan, 1, starts, checked_in_at=starts, **kwargs
        )

    pih = session(plans[0], 12, 10, reaction="pih")
    session(plans[1], 12, 14, reaction="expected")  # the usual course: nothing to see
    held = session(
        plans[2],
        13,
        10,
        completed_at=None,
        answers=dict(t.NO_NEWS, new_cold_sore=True),
    )
    world_a.patient = patients[0]

    board = dashboard_for(world_a.clinic, datetime(2027, 1, 14, 9, tzinfo=UTC))
    assert board.needs_a_look == [held, pih]
    later = dashboard_for(world_a.clinic, datetime(2027, 2, 1, 9, tzinfo=UTC))
    assert later.needs_a_look == []  # older than two weeks

    with time_machine.travel(datetime(2027, 1, 14, 9, tzinfo=UTC), tick=False):
        text = (
            as_user(world_a.practitioner.user)
            .get(reverse("clinics:dashboard"))
            .content.decode()
        )
        other = as_user(world_b.practitioner.user).get(reverse("clinics:dashboard"))
    assert "Post-inflammatory hyperpigmentation" in text
    assert "held at the safety re-check" in text
    assert patients[0].full_name in text
    assert patients[0].full_name not in other.content.decode()
