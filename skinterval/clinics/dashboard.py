"""What a clinic's staff need to see today, in a handful of queries.

Today's appointments by practitioner; patients whose next session's window opens
this week, closes within a week, or has closed with nothing booked; plans waiting
for approval or a physician's review; sessions of the last two weeks with an
adverse reaction, or held at the safety re-check, that someone should look at.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.charting.models import ChartStatus, Reaction, SessionChart
from skinterval.clinics.models import Clinic, StaffMember
from skinterval.domain import wallclock
from skinterval.outcomes.models import CheckIn
from skinterval.outcomes.queries import checkins_to_review
from skinterval.plans.models import Plan, PlanSession, PlanStatus
from skinterval.plans.queries import pending_proposals
from skinterval.plans.replan_display import ProposalView, describe

SOON_DAYS = 7
LOOK_BACK_DAYS = 14
# Reactions that are the expected course of a session, not a reason to look.
UNREMARKABLE = ("", Reaction.EXPECTED)


@dataclass
class Dashboard:
    today: date
    by_practitioner: list[tuple[StaffMember, list[Appointment]]]
    opening: list[PlanSession] = field(default_factory=list)
    closing: list[PlanSession] = field(default_factory=list)
    closed: list[PlanSession] = field(default_factory=list)
    awaiting_approval: list[Plan] = field(default_factory=list)
    awaiting_physician: list[Plan] = field(default_factory=list)
    needs_a_look: list[SessionChart] = field(default_factory=list)
    # Patients' check-ins that raised an alert and nobody has reviewed yet.
    checkins_to_review: list[CheckIn] = field(default_factory=list)
    # What the engine's re-plan after a scored visit would change, to decide.
    replan_proposals: list[ProposalView] = field(default_factory=list)

    def patient_ids(self) -> set[object]:
        """The patients the board names (for the audit log's one list event),
        from the rows already loaded: no query."""
        ids: set[object] = {
            a.patient_id for _, rows in self.by_practitioner for a in rows
        }
        for session in (*self.opening, *self.closing, *self.closed):
            ids.add(session.plan.patient_id)
        for row in (*self.awaiting_approval, *self.awaiting_physician):
            ids.add(row.patient_id)
        ids.update(c.patient_id for c in self.needs_a_look)
        ids.update(c.patient_id for c in self.checkins_to_review)
        ids.update(p.proposal.plan.patient_id for p in self.replan_proposals)
        return ids


def dashboard_for(clinic: Clinic, now: datetime) -> Dashboard:
    zone = clinic.zone
    today = wallclock.local_date(now, zone)
    start, end = wallclock.day_bounds(today, zone)
    todays = (
        Appointment.objects.filter(
            clinic=clinic, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "practitioner", "service_type", "room")
        .order_by("practitioner__display_name", "starts_at")
    )
    grouped: dict[int, list[Appointment]] = defaultdict(list)
    staff: dict[int, StaffMember] = {}
    for appointment in todays:
        grouped[appointment.practitioner_id].append(appointment)
        staff[appointment.practitioner_id] = appointment.practitioner
    board = Dashboard(
        today=today,
        by_practitioner=[(staff[pk], rows) for pk, rows in grouped.items()],
    )
    _next_sessions(clinic, today, board)
    drafts = (
        Plan.objects.filter(clinic=clinic, status=PlanStatus.DRAFT)
        .select_related("patient")
        .exclude(decision="decline")
        .order_by("created_at")
    )
    for plan in drafts:
        if plan.requires_physician_review:
            board.awaiting_physician.append(plan)
        else:
            board.awaiting_approval.append(plan)
    board.needs_a_look = list(
        SessionChart.objects.filter(
            clinic=clinic, checked_in_at__gte=start - timedelta(days=LOOK_BACK_DAYS)
        )
        .filter(~Q(reaction__in=UNREMARKABLE) | Q(status=ChartStatus.HELD))
        .select_related("patient", "appointment__plan_session")
        .order_by("-checked_in_at")
    )
    board.checkins_to_review = checkins_to_review(clinic)
    board.replan_proposals = [describe(p) for p in pending_proposals(clinic)]
    return board


def _next_sessions(clinic: Clinic, today: date, board: Dashboard) -> None:
    """For each approved plan, its first session with nothing booked or done."""
    taken = set(
        Appointment.objects.filter(
            clinic=clinic,
            plan_session__plan__status=PlanStatus.APPROVED,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values_list("plan_session_id", flat=True)
    )
    sessions = (
        PlanSession.objects.filter(clinic=clinic, plan__status=PlanStatus.APPROVED)
        .select_related("plan__patient")
        .order_by("plan_id", "number")
    )
    seen: set[int] = set()
    soon = today + timedelta(days=SOON_DAYS)
    for session in sessions:
        if session.plan_id in seen or session.pk in taken:
            continue
        seen.add(session.plan_id)
        if session.latest_on < today:
            board.closed.append(session)
        elif session.earliest_on <= today and session.latest_on <= soon:
            board.closing.append(session)
        elif today <= session.earliest_on < today + timedelta(days=7):
            board.opening.append(session)
    board.closed.sort(key=lambda s: s.latest_on)
    board.closing.sort(key=lambda s: s.latest_on)
    board.opening.sort(key=lambda s: s.earliest_on)
