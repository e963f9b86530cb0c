"""A Hypothesis state machine drives the booking services with random sequences of
book, hold, confirm, cancel, reschedule, complete, applying the calendar
optimizer's plan and the passing of time, and
checks the calendar's invariants after every step:

- no overlap on any practitioner, room, device or patient among appointments
  that hold their time;
- every such appointment lies inside its practitioner's working hours;
- every planned session's appointment lies inside its (re-flowed) window, or
  carries an override reason or the "outside its window" flag — and the flag is
  set exactly when the date is outside.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from skinterval import testing as t
from skinterval.appointments.calendar_optimizer import (
    OptimizationRefused,
    apply_solution,
    build_problem,
    optimize_calendar,
)
from skinterval.appointments.errors import BookingError
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    complete_appointment,
    confirm_hold,
    reschedule_appointment,
)
from skinterval.appointments.tests.conftest import ASSESSMENT, NOW, local
from skinterval.clinics.models import QualificationKind, StaffRole
from skinterval.domain import wallclock
from skinterval.plans.services import approve_plan, create_plan

FIRST_DAY = date(2027, 1, 4)
DAYS = 70
counter = iter(range(10**9))


class Calendar(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(counter)
        self.clinic = t.make_clinic(name=f"Stateful {n}", slug=f"stateful-{n}")
        self.location = t.make_location(self.clinic)
        quals = (QualificationKind.PHYSICIAN, QualificationKind.MICRONEEDLING)
        self.practitioners = [
            t.make_staff(self.clinic, StaffRole.PRACTITIONER, qualifications=quals)
            for _ in range(2)
        ]
        for member, hours in zip(self.practitioners, [(9, 17), (12, 19)], strict=True):
            for weekday in range(5):
                t.make_working_interval(
                    member,
                    self.location,
                    weekday=weekday,
                    start_time=datetime.min.time().replace(hour=hours[0]),
                    end_time=datetime.min.time().replace(hour=hours[1]),
                )
        self.rooms = [t.make_room(self.location) for _ in range(2)]
        self.devices = [t.make_device(self.location) for _ in range(2)]
        self.patients = [t.make_patient(self.clinic) for _ in range(3)]
        self.service = ServiceType.objects.create(
            clinic=self.clinic,
            kind=ServiceKind.MICRONEEDLING,
            name="Micro-needling",
            duration_min=60,
            buffer_after_min=15,
            needs_device=True,
            required_qualification=QualificationKind.MICRONEEDLING,
        )
        plan = create_plan(
            patient=self.patients[0],
            assessment=ASSESSMENT,
            created_by=self.practitioners[0],
        )
        self.plan = approve_plan(plan=plan, approved_by=self.practitioners[0], now=NOW)
        self.now = NOW

    # --- steps -----------------------------------------------------------------

    def _start(self, day: int, slot: int) -> datetime:
        return local(FIRST_DAY + timedelta(days=day), 8) + timedelta(minutes=30 * slot)

    def _try(self, action) -> None:
        # A refusal is a correct outcome; any other exception fails the test.
        with contextlib.suppress(BookingError):
            action()

    @rule(
        patient=st.integers(0, 2),
        practitioner=st.integers(0, 1),
        room=st.integers(0, 1),
        device=st.integers(0, 1),
        day=st.integers(1, 3),  # a few busy weekdays, so that bookings collide
        slot=st.integers(2, 18),
        hold=st.booleans(),
    )
    def book(self, patient, practitioner, room, device, day, slot, hold):
        self._try(
            lambda: book_appointment(
                patient=self.patients[patient],
                service_type=self.service,
                practitioner=self.practitioners[practitioner],
                room=self.rooms[room],
                device=self.devices[device],
                starts_at=self._start(day, slot),
                now=self.now,
                hold_min=10 if hold else None,
            )
        )

    @rule(
        number=st.integers(1, 4),
        day=st.integers(0, DAYS),
        slot=st.integers(0, 22),
        practitioner=st.integers(0, 1),
        override=st.booleans(),
    )
    def book_session(self, number, day, slot, practitioner, override):
        session = self.plan.sessions.filter(number=number).first()
        if session is None:
            return
        self._try(
            lambda: book_appointment(
                patient=self.patients[0],
                service_type=self.service,
                practitioner=self.practitioners[practitioner],
                room=self.rooms[0],
                device=self.devices[0],
                starts_at=self._start(day, slot),
                now=self.now,
                plan_session=session,
                override_reason="patient's request" if override else "",
            )
        )

    def _pick(self, index: int) -> Appointment | None:
        rows = list(Appointment.objects.filter(clinic=self.clinic).order_by("pk"))
        return rows[index % len(rows)] if rows else None

    @rule(index=st.integers(0, 50))
    def cancel(self, index):
        appt = self._pick(index)
        if appt:
            self._try(
                lambda: cancel_appointment(appointment=appt, reason="x", now=self.now)
            )

    @rule(index=st.integers(0, 50), day=st.integers(0, DAYS), slot=st.integers(0, 22))
    def reschedule_far(self, index, day, slot):
        self.reschedule(index, day, slot)

    @rule(index=st.integers(0, 50), day=st.integers(1, 3), slot=st.integers(2, 18))
    def reschedule(self, index, day, slot):
        appt = self._pick(index)
        if appt:
            self._try(
                lambda: reschedule_appointment(
                    appointment=appt, starts_at=self._start(day, slot), now=self.now
                )
            )

    @rule(index=st.integers(0, 50))
    def complete(self, index):
        appt = self._pick(index)
        if appt:
            self._try(lambda: complete_appointment(appointment=appt))

    @rule(index=st.integers(0, 50))
    def confirm(self, index):
        appt = self._pick(index)
        if appt:
            self._try(lambda: confirm_hold(appointment=appt, now=self.now))

    @rule()
    def apply_optimizer_plan(self):
        problem = build_problem(
            clinic=self.clinic,
            location=self.location,
            first_on=FIRST_DAY,
            last_on=FIRST_DAY + timedelta(days=DAYS + 60),
            now=self.now,
        )
        solution = optimize_calendar(problem=problem, time_limit_s=2, seed=0)
        # Refused (nothing changed) is a correct outcome when the answer no longer
        # fits, for example when it overlaps an appointment outside the series.
        with contextlib.suppress(OptimizationRefused):
            apply_solution(problem=problem, solution=solution, now=self.now)

    @rule(minutes=st.sampled_from([5, 11, 60]))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    # --- invariants ----------------------------------------------------------------

    def _holding_time(self) -> list[Appointment]:
        return [
            a
            for a in Appointment.objects.filter(clinic=self.clinic).exclude(
                status=AppointmentStatus.CANCELLED
            )
            if not (
                a.status == AppointmentStatus.HELD
                and a.hold_expires_at is not None
                and a.hold_expires_at <= self.now
            )
        ]

    @invariant()
    def no_resource_is_double_booked(self):
        for a, b in combinations(self._holding_time(), 2):
            blocks_meet = a.blocked_from_at < b.blocked_until_at and (
                b.blocked_from_at < a.blocked_until_at
            )
            visits_meet = a.starts_at < b.ends_at and b.starts_at < a.ends_at
            if blocks_meet:
                assert a.practitioner_id != b.practitioner_id
                assert a.room_id != b.room_id
                assert a.device_id != b.device_id
            if visits_meet:
                assert a.patient_id != b.patient_id

    @invariant()
    def appointments_lie_inside_working_hours(self):
        zone = self.clinic.zone
        for a in self._holding_time():
            day = wallclock.local_date(a.starts_at, zone)
            fits = any(
                wallclock.to_utc(day, wi.start_time, zone) <= a.blocked_from_at
                and a.blocked_until_at <= wallclock.to_utc(day, wi.end_time, zone)
                for wi in a.practitioner.working_intervals.filter(weekday=day.weekday())
            )
            assert fits

    @invariant()
    def sessions_sit_in_their_windows_or_say_why_not(self):
        zone = self.clinic.zone
        for a in self._holding_time():
            if a.plan_session is None:
                continue
            session = a.plan_session
            session.refresh_from_db()
            inside = session.window_contains(wallclock.local_date(a.starts_at, zone))
            assert a.outside_window == (not inside)
            assert inside or a.window_override_reason or a.outside_window


@pytest.mark.django_db
def test_the_calendar_keeps_its_invariants():
    run = Calendar.TestCase
    run.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run().runTest()
