"""The calendar optimizer from the staff app: start a run, let the worker solve it
while the page shows its progress, then book the proposal all or nothing.

A run is long work (up to its time limit), so the request only records it and
enqueues `tasks.optimize_calendar_task`; the task writes its progress to the row
(at most about once a second) and finally the proposed changes. Booking them
rebuilds the problem from today's calendar, checks the stored proposal against it
with the independent validator, and applies it through the booking services: if
anything changed in between, it is refused and nothing moves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from skinterval.appointments.calendar_optimizer import (
    CalendarProblem,
    OptimizationRefused,
    apply_solution,
    build_problem,
    changes_booking,
    optimize_calendar,
)
from skinterval.appointments.models import (
    Appointment,
    OptimizerRun,
    OptimizerRunStatus,
    ServiceKind,
    ServiceType,
)
from skinterval.clinics.models import Location, Room, StaffMember
from skinterval.domain import optimizer_model as om
from skinterval.domain.schedule_validator import validate_solution
from skinterval.plans.models import Plan

PROGRESS_EVERY_S = 1.0
# A run still "running" this long after its limit lost its worker.
STALE_AFTER_S = 300


class RunRefused(Exception):
    """The run cannot be started or its proposal cannot be booked; nothing changed."""


def start_optimizer_run(
    *,
    location: Location,
    first_on: date,
    last_on: date,
    time_limit_s: int,
    requested_by: StaffMember,
    now: datetime,
) -> OptimizerRun:
    """Record a run and queue it for the worker (after the row is committed)."""
    from skinterval.appointments.tasks import optimize_calendar_task

    if location.clinic_id != requested_by.clinic_id:
        raise RunRefused(_("The location belongs to another clinic."))
    if not ServiceType.objects.filter(
        clinic_id=location.clinic_id, kind=ServiceKind.MICRONEEDLING, is_active=True
    ).exists():
        raise RunRefused(_("The clinic offers no micro-needling service to schedule."))
    run = OptimizerRun.objects.create(
        clinic_id=location.clinic_id,
        location=location,
        first_on=first_on,
        last_on=last_on,
        time_limit_s=time_limit_s,
        requested_by=requested_by,
        requested_at=now,
    )
    transaction.on_commit(lambda: optimize_calendar_task.enqueue(run.pk))
    return run


def _reporter(run: OptimizerRun) -> Callable[[om.Progress], None]:
    """A progress callback that writes the row at most once per PROGRESS_EVERY_S."""
    last = [0.0]

    def report(p: om.Progress) -> None:
        tick = time.monotonic()
        if tick - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = tick
        OptimizerRun.objects.filter(pk=run.pk).update(
            phase=p.phase[:40],
            elapsed_s=round(p.elapsed_s, 1),
            objective=p.objective,
            bound=p.bound,
        )

    return report


def run_optimizer(run_id: int) -> None:
    """The worker's part: solve, validate, store the proposal (or why not)."""
    run = OptimizerRun.objects.select_related("location__clinic").get(pk=run_id)
    if run.status != OptimizerRunStatus.QUEUED:
        return  # already taken by another worker, or finished
    run.status = OptimizerRunStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        problem = build_problem(
            clinic=run.location.clinic,
            location=run.location,
            first_on=run.first_on,
            last_on=run.last_on,
            now=run.started_at,
        )
        pending = sum(len(s.sessions) for s in problem.instance.series)
        solution = optimize_calendar(
            problem=problem,
            time_limit_s=float(run.time_limit_s),
            progress=_reporter(run),
        )
    except (OptimizationRefused, ServiceType.DoesNotExist) as exc:
        run.status = OptimizerRunStatus.FAILED
        run.message = str(exc) or "No micro-needling service to schedule."
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "message", "finished_at"])
        return
    run.refresh_from_db(fields=["phase"])
    run.status = OptimizerRunStatus.PROPOSED
    run.finished_at = timezone.now()
    run.elapsed_s = round(solution.elapsed_s, 1)
    run.objective, run.bound, run.gap = (
        solution.objective,
        solution.bound,
        solution.gap,
    )
    run.phase = "done"
    run.pending_count = pending
    run.unplaced_count = len(solution.unscheduled)
    run.proposal = [
        _assignment_json(a, problem.current.get((a.series_id, a.number)))
        for a in solution.assignments
        if changes_booking(problem.current.get((a.series_id, a.number)), a)
    ]
    run.save()


def _assignment_json(
    a: om.Assignment, current: Appointment | None
) -> dict[str, object]:
    """An assignment, and the booking it replaces as it was (id and revision)."""
    return {
        "current": None if current is None else [current.pk, current.sequence],
        "series": a.series_id,
        "number": a.number,
        "practitioner": a.practitioner,
        "room": a.room,
        "device": a.device,
        "start_at": a.start_at.isoformat(),
        "end_at": a.end_at.isoformat(),
    }


def _assignment(row: dict[str, object]) -> om.Assignment:
    return om.Assignment(
        series_id=str(row["series"]),
        number=int(row["number"]),  # type: ignore[call-overload]
        practitioner=str(row["practitioner"]),
        room=str(row["room"]),
        device=None if row["device"] is None else str(row["device"]),
        start_at=datetime.fromisoformat(str(row["start_at"])),
        end_at=datetime.fromisoformat(str(row["end_at"])),
    )


def apply_optimizer_run(
    *, run: OptimizerRun, applied_by: StaffMember, now: datetime
) -> int:
    """Book a proposal; returns how many appointments were booked or moved.

    The proposal, with every booking it leaves where it is, must still be a valid
    schedule of the calendar as it is now (the independent validator decides);
    otherwise RunRefused says the calendar changed, and nothing is booked."""
    if run.status != OptimizerRunStatus.PROPOSED:
        raise RunRefused(_("Only a proposal that has not been booked can be booked."))
    if not run.proposal:
        raise RunRefused(_("This run proposed no changes."))
    problem = build_problem(
        clinic=run.location.clinic,
        location=run.location,
        first_on=run.first_on,
        last_on=run.last_on,
        now=now,
    )
    solution = _as_solution(problem, [_assignment(row) for row in run.proposal])
    problems = _rebooked(problem, run.proposal) or validate_solution(
        problem.instance, solution
    )
    if problems:
        raise RunRefused(
            _(
                "The calendar has changed since this proposal was made; run the "
                "optimizer again. (%(why)s)"
            )
            % {"why": "; ".join(problems[:3])}
        )
    try:
        done = apply_solution(
            problem=problem, solution=solution, now=now, booked_by=applied_by
        )
    except OptimizationRefused as exc:
        raise RunRefused(str(exc)) from exc
    run.status = OptimizerRunStatus.APPLIED
    run.applied_by = applied_by
    run.applied_at = now
    run.save(update_fields=["status", "applied_by", "applied_at"])
    return len(done)


def _rebooked(problem: CalendarProblem, proposal: list[Any]) -> list[str]:
    """Sessions booked, moved or cancelled by someone since the proposal."""
    changed = []
    for row in proposal:
        now = problem.current.get((str(row["series"]), int(row["number"])))
        if (None if now is None else [now.pk, now.sequence]) != row["current"]:
            changed.append(f"{row['series']} session {row['number']} was rebooked")
    return changed


def _as_solution(
    problem: CalendarProblem, proposed: list[om.Assignment]
) -> om.ScheduleSolution:
    """The whole schedule a proposal means today: its changes, the bookings it
    keeps, and every other pending session left unplaced."""
    lead = timedelta(minutes=problem.service.buffer_before_min)
    placed = {(a.series_id, a.number): a for a in proposed}
    for (series_id, number), appt in problem.current.items():
        placed.setdefault(
            (series_id, number),
            om.Assignment(
                series_id=series_id,
                number=number,
                practitioner=f"p{appt.practitioner_id}",
                room=f"r{appt.room_id}",
                device=f"d{appt.device_id}" if appt.device_id else None,
                start_at=appt.starts_at - lead,
                end_at=appt.ends_at,
            ),
        )
    left = tuple(
        om.Unscheduled(series.id, session.number, "left as it is")
        for series in problem.instance.series
        for session in series.sessions
        if (series.id, session.number) not in placed
    )
    return om.ScheduleSolution(
        status="feasible",
        objective=None,
        bound=None,
        gap=None,
        assignments=tuple(
            sorted(placed.values(), key=lambda a: (a.series_id, a.number))
        ),
        unscheduled=left,
    )


@dataclass(frozen=True)
class ProposedChange:
    """One line of a proposal, in words for the page."""

    patient: str
    session: int
    was: datetime | None
    to: datetime
    practitioner: str
    room: str


def proposal_rows(run: OptimizerRun) -> list[ProposedChange]:
    """The proposal with names, read back from the run's own clinic only."""
    plan_ids = {
        int(str(row["series"]).removeprefix("plan"))
        for row in run.proposal
        if str(row["series"]).startswith("plan")
    }
    plans = {
        p.pk: p
        for p in Plan.objects.filter(clinic_id=run.clinic_id, pk__in=plan_ids)
        .select_related("patient")
        .prefetch_related("sessions__appointments")
    }
    staff = {
        f"p{m.pk}": m.display_name
        for m in StaffMember.objects.filter(clinic_id=run.clinic_id)
    }
    rooms = _names(Room.objects.filter(location=run.location), "r")
    rows = []
    lead = _lead(run)
    for row in run.proposal:
        plan = plans.get(int(str(row["series"]).removeprefix("plan")))
        if plan is None:
            continue
        number = int(row["number"])
        was = None
        for s in plan.sessions.all():
            if s.number == number:
                active = [a for a in s.appointments.all() if a.is_active]
                was = active[0].starts_at if active else None
        rows.append(
            ProposedChange(
                patient=plan.patient.full_name,
                session=number,
                was=was,
                to=datetime.fromisoformat(str(row["start_at"])) + lead,
                practitioner=staff.get(str(row["practitioner"]), "?"),
                room=rooms.get(str(row["room"]), "?"),
            )
        )
    return sorted(rows, key=lambda r: (r.to, r.patient))


def _names(rows: QuerySet[Any], prefix: str) -> dict[str, str]:
    return {f"{prefix}{r.pk}": str(r) for r in rows}


def _lead(run: OptimizerRun) -> timedelta:
    service = ServiceType.objects.filter(
        clinic_id=run.clinic_id, kind=ServiceKind.MICRONEEDLING, is_active=True
    ).first()
    return timedelta(minutes=service.buffer_before_min if service else 0)


def is_stale(run: OptimizerRun, now: datetime) -> bool:
    """Queued or running long past its limit: the worker is gone or not running."""
    if run.status not in (OptimizerRunStatus.QUEUED, OptimizerRunStatus.RUNNING):
        return False
    return (now - run.requested_at).total_seconds() > run.time_limit_s + STALE_AFTER_S
