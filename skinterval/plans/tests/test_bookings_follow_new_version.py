"""Bookings still to come follow a re-planned version when it is approved, so the
session can be charted on the day; completed sessions stay with their version.

The plan (replan_world.py): 4 sessions 28-42 days apart from 4 Jan 2027. Session 1
is done on 4 Jan with a reaction that lengthens the interval (PIH: 42-56 days)
and session 2 is booked on 2 Feb (29 days after session 1) under version 1.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.appointments.services import cancel_appointment, mark_arrived
from skinterval.audit.models import AuditEvent
from skinterval.plans.models import Plan, PlanStatus
from skinterval.plans.replanning import accept_replan_proposal
from skinterval.plans.services import ApprovalRefused, approve_plan
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    booking,
    chart_session,
    session,
    treated_plan,
)
from skinterval.plans.tests.test_replanning import scored

pytestmark = pytest.mark.django_db
BOOKED_ON = FIRST_ON + timedelta(days=29)
NOW = at(FIRST_ON + timedelta(days=1))


@pytest.fixture
def replanned(world_a):
    """Version 1 approved, session 1 done with PIH, session 2 booked; the re-plan
    (a longer interval) accepted as version 2, a draft."""
    w = world_a
    w.v1 = treated_plan(w)
    w.done = session(w, w.v1, 1, FIRST_ON, reaction="pih")
    w.booked = booking(w, w.v1, 2, BOOKED_ON)
    proposal = scored(w, w.done, 3)
    assert proposal is not None
    assert proposal.kind == "lower_depth"
    w.v2 = accept_replan_proposal(
        proposal=proposal, accepted_by=w.practitioner, now=NOW
    )
    return w


def test_a_booking_moves_to_the_approved_version_and_is_flagged_outside_its_window(
    replanned,
):
    w = replanned
    events = AuditEvent.objects.count()
    approve_plan(plan=w.v2, approved_by=w.practitioner, now=NOW)
    w.booked.refresh_from_db()
    w.done.refresh_from_db()
    assert w.booked.plan_session == w.v2.sessions.get(number=2)
    assert w.booked.status == AppointmentStatus.BOOKED
    # 29 days after session 1 is too early now that the interval is 42-56 days
    assert w.booked.outside_window
    assert w.done.plan_session == w.v1.sessions.get(number=1)  # history stays
    assert AuditEvent.objects.count() > events
    assert AuditEvent.objects.filter(
        object_type="appointments.appointment", object_id=str(w.booked.pk)
    ).exists()


def test_a_booking_inside_the_new_window_is_not_flagged_and_can_be_charted(replanned):
    w = replanned
    w.booked.starts_at = at(FIRST_ON + timedelta(days=45))  # inside 42-56 days
    w.booked.ends_at = w.booked.starts_at + timedelta(minutes=45)
    w.booked.blocked_from_at = w.booked.starts_at
    w.booked.blocked_until_at = w.booked.ends_at
    w.booked.save()
    approve_plan(plan=w.v2, approved_by=w.practitioner, now=NOW)
    w.booked.refresh_from_db()
    assert not w.booked.outside_window
    session_2 = w.v2.sessions.get(number=2)
    assert session_2.earliest_on <= w.booked.starts_at.date() <= session_2.latest_on
    # on the day, the practitioner charts it under the approved version
    chart_session(w, w.booked, depth_mm="0.75")
    w.booked.refresh_from_db()
    assert w.booked.status == AppointmentStatus.COMPLETED


def test_a_new_series_leaves_the_old_bookings_flagged(world_a):
    w = world_a
    v1 = treated_plan(w)
    booked = booking(w, v1, 2, BOOKED_ON)
    fresh = t.make_plan(w.patient, w.practitioner)  # another series, not derived
    approve_plan(plan=fresh, approved_by=w.practitioner, now=NOW)
    v1.refresh_from_db()
    booked.refresh_from_db()
    assert v1.status == PlanStatus.SUPERSEDED
    assert booked.plan_session == v1.sessions.get(number=2)
    assert booked.outside_window  # for the front desk to cancel or change


def test_the_flag_on_a_booking_left_behind_stays_when_the_old_plan_changes(world_a):
    w = world_a
    v1 = treated_plan(w)
    second = booking(w, v1, 2, BOOKED_ON)
    third = booking(w, v1, 3, BOOKED_ON + timedelta(days=28))
    fresh = t.make_plan(w.patient, w.practitioner)  # another series
    approve_plan(plan=fresh, approved_by=w.practitioner, now=NOW)
    windows = list(v1.sessions.values_list("earliest_on", "latest_on"))
    cancel_appointment(appointment=third, reason="not needed", now=NOW)
    second.refresh_from_db()
    assert second.outside_window  # not re-flowed from the superseded plan
    assert list(v1.sessions.values_list("earliest_on", "latest_on")) == windows


def test_a_patient_who_has_arrived_follows_the_new_version(replanned):
    w = replanned
    mark_arrived(appointment=w.booked)
    approve_plan(plan=w.v2, approved_by=w.practitioner, now=NOW)
    w.booked.refresh_from_db()
    assert w.booked.status == AppointmentStatus.ARRIVED
    assert w.booked.plan_session == w.v2.sessions.get(number=2)


def test_a_draft_approved_meanwhile_is_not_approved_twice(replanned):
    w = replanned
    stale = Plan.objects.get(pk=w.v2.pk)  # read before a colleague approves it
    approve_plan(plan=w.v2, approved_by=w.practitioner, now=NOW)
    events = AuditEvent.objects.count()
    with pytest.raises(ApprovalRefused, match="awaiting approval"):
        approve_plan(plan=stale, approved_by=w.practitioner, now=NOW)
    assert AuditEvent.objects.count() == events
    w.booked.refresh_from_db()
    assert w.booked.plan_session == w.v2.sessions.get(number=2)
