"""Running the calendar optimizer from the staff app: progress while it runs,
then a proposal that is booked all or nothing, or refused when stale."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    OptimizerRun,
    OptimizerRunStatus,
)
from skinterval.appointments.optimizer_runs import _reporter
from skinterval.appointments.queries import slots_for_plan_session
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW
from skinterval.clinics.models import TimeOff
from skinterval.domain import wallclock
from skinterval.domain.optimizer_model import Progress

PAGE = reverse("calendar:optimize")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def start(client, world, **fields):
    data = {
        "location": world.location.pk,
        "first_on": "2027-01-04",
        "last_on": "2027-03-31",
        "time_limit_s": "10",
        **fields,
    }
    return client.post(PAGE, data)


def make_run(world, **fields):
    """A run of the world's clinic, as the worker or a page would have left it."""
    values = {
        "clinic": world.clinic,
        "location": world.location,
        "first_on": date(2027, 1, 4),
        "last_on": date(2027, 1, 31),
        "time_limit_s": 10,
        "requested_by": world.practitioner,
        "requested_at": NOW,
        **fields,
    }
    return OptimizerRun.objects.create(**values)


def run_page(client, run):
    return client.get(reverse("calendar:optimizer_run", args=[run.pk]))


def test_alice_runs_the_optimizer_and_books_its_proposal(
    leave, as_user, django_capture_on_commit_callbacks
):
    client = as_user(leave.practitioner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, leave)

    run = OptimizerRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("calendar:optimizer_run", args=[run.pk])
    assert run.status == OptimizerRunStatus.PROPOSED
    total = sum(p.sessions.count() for p in leave.plans)
    assert run.pending_count == total
    assert run.unplaced_count == 0
    # The two sessions booked on Alice's leave move; every other one is booked.
    assert len(run.proposal) == total

    page = run_page(client, run)
    text = page.content.decode()
    assert "Changes proposed" in text
    assert leave.patient.full_name in text
    assert "not booked" in text
    assert f"Book these {total} changes" in text
    assert "hx-trigger" not in text  # finished: the page stops polling
    assert Appointment.objects.filter(plan_session__isnull=False).count() == 2

    booked = client.post(reverse("calendar:optimizer_apply", args=[run.pk]))

    assert booked.status_code == 302
    run.refresh_from_db()
    assert run.status == OptimizerRunStatus.APPLIED
    assert run.applied_by == leave.practitioner
    active = Appointment.objects.exclude(status=AppointmentStatus.CANCELLED)
    assert active.filter(plan_session__isnull=False).count() == total
    for appt in leave.booked:  # moved off Alice's leave
        appt.refresh_from_db()
        day = wallclock.local_date(appt.starts_at, leave.clinic.zone)
        assert not TimeOff.objects.filter(
            staff_member=appt.practitioner, starts_on__lte=day, ends_on__gte=day
        ).exists()
        assert appt.sequence == 1
    assert "Booked by" in run_page(client, run).content.decode()

    again = client.post(reverse("calendar:optimizer_apply", args=[run.pk]), follow=True)
    assert "Only a proposal that has not been booked" in again.content.decode()
    assert active.count() == Appointment.objects.exclude(status="cancelled").count()


def test_a_proposal_overtaken_by_a_booking_is_refused_and_books_nothing(
    leave, as_user, django_capture_on_commit_callbacks
):
    client = as_user(leave.front_desk.user)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, leave)
    run = OptimizerRun.objects.get()
    third = leave.plans[2].sessions.get(number=1)
    # Meanwhile the front desk books the third patient's first session by hand.
    best = slots_for_plan_session(
        plan_session=third, service=leave.service, now=NOW, limit=1
    )[0]
    book_appointment(
        patient=leave.plans[2].patient,
        service_type=leave.service,
        practitioner=best.practitioner,
        room=best.room,
        device=best.device,
        starts_at=best.slot.start,
        now=NOW,
        plan_session=third,
    )
    before = set(Appointment.objects.values_list("pk", "starts_at", "status"))

    response = client.post(
        reverse("calendar:optimizer_apply", args=[run.pk]), follow=True
    )

    assert "The calendar has changed since this proposal was made" in (
        response.content.decode()
    )
    assert set(Appointment.objects.values_list("pk", "starts_at", "status")) == before
    run.refresh_from_db()
    assert run.status == OptimizerRunStatus.PROPOSED


def test_progress_is_written_while_it_runs_and_polled_by_the_page(leave, as_user):
    run = make_run(leave, time_limit_s=30, status=OptimizerRunStatus.RUNNING)
    report = _reporter(run)
    report(Progress(elapsed_s=12.04, objective=40.0, bound=31.0, phase="search"))
    report(Progress(elapsed_s=12.5, objective=38.0, bound=31.0, phase="search"))

    run.refresh_from_db()
    assert (run.elapsed_s, run.objective, run.phase) == (12.0, 40.0, "search")

    partial = as_user(leave.front_desk.user).get(
        reverse("calendar:optimizer_run", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    text = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in text  # only the block the page swaps in
    assert 'hx-trigger="every 1s"' in text
    assert 'value="40"' in text  # 12 s of 30 s
    assert "Improving the calendar" in text
    assert "Best calendar so far: cost 40." in text
    assert "No calendar can cost less than 31." in text


def test_a_run_without_a_worker_says_so_instead_of_spinning(leave, as_user):
    run = make_run(leave, requested_at=NOW - timedelta(hours=1))

    text = run_page(as_user(leave.practitioner.user), run).content.decode()

    assert "the background worker is not running" in text
    assert "hx-trigger" not in text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"last_on": "2027-01-01"}, "last_on", "The end is before the start."),
        ({"last_on": "2027-12-31"}, "last_on", "At most 26 weeks at a time."),
        ({"first_on": "31/12/2027"}, "first_on", "Enter a valid date."),
        ({"time_limit_s": "100000"}, "time_limit_s", "Select a valid choice."),
        ({"location": "999999"}, "location", "Select a valid choice."),
    ],
)
def test_bad_requests_are_refused_next_to_the_field(
    leave, as_user, fields, field, message
):
    response = start(as_user(leave.practitioner.user), leave, **fields)

    assert response.status_code == 422
    assert any(message in e for e in response.context["form"].errors[field])
    assert not OptimizerRun.objects.exists()


def test_another_clinics_location_cannot_be_optimized(leave, world_b, as_user):
    response = start(
        as_user(leave.practitioner.user), leave, location=str(world_b.location.pk)
    )

    assert response.status_code == 422
    assert not OptimizerRun.objects.exists()


def test_another_clinics_run_is_not_found(leave, world_b, as_user):
    run = make_run(
        leave,
        status=OptimizerRunStatus.PROPOSED,
        proposal=[{"series": "plan1", "number": 1}],
    )
    charlie = as_user(world_b.practitioner.user)

    assert run_page(charlie, run).status_code == 404
    assert (
        charlie.post(reverse("calendar:optimizer_apply", args=[run.pk])).status_code
        == 404
    )
