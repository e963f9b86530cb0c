"""The calendar optimizer on real rows: a practitioner's leave moves their
patients, the answer is validated and booked all or nothing."""

from __future__ import annotations

from datetime import date, time
from io import StringIO

import pytest
from django.core.management import call_command

from skinterval import testing as t
from skinterval.appointments.calendar_optimizer import (
    OptimizationRefused,
    apply_solution,
    build_problem,
    optimize_calendar,
)
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW, local
from skinterval.clinics.models import StaffRole, TimeOff
from skinterval.domain import wallclock

FIRST = date(2027, 1, 4)
LAST = date(2027, 3, 31)


def _solve(w):
    problem = build_problem(
        clinic=w.clinic, location=w.location, first_on=FIRST, last_on=LAST, now=NOW
    )
    return problem, optimize_calendar(problem=problem, time_limit_s=10, seed=1)


def test_the_problem_holds_every_pending_session(leave):
    problem, _ = _solve(leave)
    instance = problem.instance
    assert {s.id for s in instance.series} == {f"plan{p.pk}" for p in leave.plans}
    total = sum(p.sessions.count() for p in leave.plans)
    assert sum(len(s.sessions) for s in instance.series) == total
    assert len(problem.current) == 2
    off = {
        d.start_on
        for p in instance.practitioners
        for d in p.off
        if p.id == f"p{leave.practitioner.pk}"
    }
    assert {
        wallclock.local_date(a.starts_at, leave.clinic.zone) for a in leave.booked
    } <= off


def test_leave_moves_the_booked_sessions_and_books_the_rest(leave):
    problem, solution = _solve(leave)
    assert not solution.unscheduled
    apply_solution(problem=problem, solution=solution, now=NOW)
    for appt in leave.booked:
        appt.refresh_from_db()
        assert appt.status == AppointmentStatus.BOOKED
        assert appt.practitioner == leave.bea or appt.starts_at != local(
            wallclock.local_date(appt.starts_at, leave.clinic.zone), 10
        )
        assert not TimeOff.objects.filter(
            staff_member=appt.practitioner,
            starts_on__lte=wallclock.local_date(appt.starts_at, leave.clinic.zone),
            ends_on__gte=wallclock.local_date(appt.starts_at, leave.clinic.zone),
        ).exists()
    for plan in leave.plans:
        for session in plan.sessions.all():
            appt = session.appointments.exclude(
                status=AppointmentStatus.CANCELLED
            ).get()
            day = wallclock.local_date(appt.starts_at, leave.clinic.zone)
            assert session.earliest_on <= day <= session.latest_on
            assert not appt.outside_window


def test_nothing_changes_when_the_answer_no_longer_fits(leave):
    problem, solution = _solve(leave)
    first_new = next(
        a
        for a in solution.assignments
        if (a.series_id, a.number) not in problem.current
    )
    # Someone books the patient elsewhere at that very time before applying.
    series_plan = next(p for p in leave.plans if f"plan{p.pk}" == first_new.series_id)
    consultation = t.make_staff(
        leave.clinic,
        StaffRole.PRACTITIONER,
        qualifications=tuple(q.kind for q in leave.practitioner.qualifications.all()),
    )
    t.make_working_interval(
        consultation,
        leave.location,
        weekday=wallclock.local_date(first_new.start_at, leave.clinic.zone).weekday(),
        start_time=time(0),
        end_time=time(23, 45),
    )
    book_appointment(
        patient=series_plan.patient,
        service_type=leave.service,
        practitioner=consultation,
        room=leave.second_room
        if first_new.room != f"r{leave.second_room.pk}"
        else leave.room,
        device=leave.second_device
        if first_new.device != f"d{leave.second_device.pk}"
        else leave.device,
        starts_at=first_new.start_at,
        now=NOW,
    )
    before = sorted(
        Appointment.objects.values_list("pk", "starts_at", "practitioner_id", "status")
    )
    with pytest.raises(OptimizationRefused):
        apply_solution(problem=problem, solution=solution, now=NOW)
    after = sorted(
        Appointment.objects.values_list("pk", "starts_at", "practitioner_id", "status")
    )
    assert before == after


def test_the_command_shows_progress_and_a_dry_run(leave):
    out, err = StringIO(), StringIO()
    call_command(
        "optimize_calendar",
        clinic=leave.clinic.slug,
        first_on=FIRST,
        last_on=LAST,
        time_limit=5,
        stdout=out,
        stderr=err,
    )
    assert "pending sessions to place" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert "objective" in err.getvalue()
    assert Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).count() == 2
