"""Scheduling messages to patients: the write side of the outbox.

Every function here runs inside the caller's transaction, so the outbox rows
commit (or roll back) with the change that causes them:

- `schedule_for_appointment` — a booking, a confirmed hold or a move: the booking
  confirmation and the reminders; pending ones for an earlier time are withdrawn.
- `cancel_for_appointment` — a cancellation: every pending message about it is
  withdrawn.
- `schedule_for_plan` — an approval: "your next session can be booked", "its
  window closes soon", review and maintenance recalls; pending ones of the
  patient's earlier plans are withdrawn.
- `schedule_after_session` — a completed session: aftercare on the days the plan
  says (`schedule_aftercare`) and a check-in request the next day
  (`schedule_check_in_request`).
- `set_contact_preference` / `unsubscribe` — a patient's choices.
- `schedule_waitlist_offer` — an earlier time offered from the waitlist, on the
  channels `offer_channels` finds.
- `stop_all_messages` — a closed portal account: nothing more of any kind; the
  links in earlier messages cannot start them again.

Whatever is scheduled is checked again when it is due (`delivery.py`): a message
is sent only if what it says is still true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    WaitlistOffer,
)
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.clinics.models import Clinic, StaffMember
from skinterval.domain import wallclock
from skinterval.domain.messaging import (
    Advice,
    aftercare_days,
    at_local,
    end_of_day,
    reminder_times,
    sendable_at,
)
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus
from skinterval.reminders.models import (
    BOOKING_KINDS,
    DEFAULT_ENABLED,
    GROUP_OF,
    PLAN_KINDS,
    Channel,
    ContactPreference,
    KindGroup,
    MessageKind,
    MessagingSettings,
    OutboxMessage,
    OutboxStatus,
)

NOOP_SMS_BACKEND = "skinterval.reminders.sms.NoOpSmsBackend"
# A reminder closer than this to the booking itself adds nothing to the
# confirmation the patient has just received.
REMINDER_MIN_LEAD = timedelta(hours=6)
CHECK_IN_VALID = timedelta(days=2)
# `ContactPreference.changed_via` of the choices a closed portal account set.
ACCOUNT_CLOSED_VIA = "account closed"


# --- reading the clinic's and the patient's choices ----------------------------


def settings_for(clinic: Clinic) -> MessagingSettings:
    """The clinic's messaging settings, or the defaults when it has none."""
    try:
        return clinic.messaging
    except MessagingSettings.DoesNotExist:
        return MessagingSettings(clinic=clinic)


def sms_configured() -> bool:
    return str(settings.SKINTERVAL_SMS_BACKEND) != NOOP_SMS_BACKEND


def reachable(patient: Patient) -> bool:
    """Whether any message could reach the patient (no query)."""
    return bool(patient.email) or (bool(patient.phone) and sms_configured())


def preferences(patient: Patient) -> dict[tuple[str, str], bool]:
    """(group, channel) → wanted, for every group and channel."""
    stored = {
        (p.group, p.channel): p.enabled
        for p in ContactPreference.objects.filter(patient=patient)
    }
    return {
        (group, channel): stored.get((group, channel), DEFAULT_ENABLED[channel])
        for group in KindGroup.values
        for channel in Channel
    }


def channels_for(
    patient: Patient, group: str, prefs: dict[tuple[str, str], bool]
) -> list[Channel]:
    """The channels a message of `group` goes out on to this patient now."""
    out = []
    if patient.email and prefs[(group, Channel.EMAIL)]:
        out.append(Channel.EMAIL)
    if patient.phone and sms_configured() and prefs[(group, Channel.SMS)]:
        out.append(Channel.SMS)
    return out


# --- what should be scheduled ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wanted:
    """A message that should exist: its kind, due time and when it stops being
    useful (`expires_at`)."""

    kind: MessageKind
    due_at: datetime
    expires_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    plan_session: PlanSession | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """What the messages are about: an appointment (booking and session kinds) or
    a plan (plan kinds: `appointment` None)."""

    patient: Patient
    clinic: Clinic
    appointment: Appointment | None
    plan: Plan | None

    def rows(self) -> QuerySet[OutboxMessage]:
        if self.appointment is not None:
            return OutboxMessage.objects.filter(appointment=self.appointment)
        return OutboxMessage.objects.filter(plan=self.plan, appointment__isnull=True)


def _reconcile(
    subject: Subject,
    kinds: Iterable[str],
    wanted: list[Wanted],
    *,
    now: datetime,
    note: str,
    prefs: dict[tuple[str, str], bool] | None = None,
) -> None:
    """Make the subject's rows of `kinds` match `wanted`.

    Pending rows no longer wanted are withdrawn (kept, as `cancelled`, with
    `note`). A wanted row that exists unsent (withdrawn, skipped, or in a worker's
    hands for an earlier revision) takes the current revision again; one already
    sent is left alone: the patient has been told exactly that. The rest are
    inserted; a row inserted at the same moment by another transaction wins.
    """
    kinds = list(kinds)
    cfg = settings_for(subject.clinic)
    zone = subject.clinic.zone
    sequence = subject.appointment.sequence if subject.appointment else None
    prefs = prefs if prefs is not None else preferences(subject.patient)
    rows: dict[tuple[str, str, datetime], OutboxMessage] = {}
    for w in wanted:
        send_at = (
            w.due_at
            if w.kind == MessageKind.BOOKING_CONFIRMATION  # the patient just booked
            else max(sendable_at(w.due_at, zone, cfg.quiet_hours), w.due_at)
        )
        if w.expires_at <= now or send_at >= w.expires_at:
            continue
        for channel in channels_for(subject.patient, GROUP_OF[w.kind], prefs):
            rows[(w.kind, channel, w.due_at)] = OutboxMessage(
                clinic=subject.clinic,
                patient=subject.patient,
                appointment=subject.appointment,
                plan=subject.plan,
                plan_session=w.plan_session,
                kind=w.kind,
                channel=channel,
                due_at=w.due_at,
                send_at=send_at,
                expires_at=w.expires_at,
                appointment_sequence=sequence,
                context=w.context,
            )
    every = list(
        subject.rows()
        .filter(kind__in=kinds)
        .only("pk", "kind", "channel", "due_at", "status", "appointment_sequence")
    )
    known = {(r.kind, r.channel, r.due_at) for r in every}
    existing = [
        r for r in every if r.status not in (OutboxStatus.SENT, OutboxStatus.FAILED)
    ]
    stale = [
        r.pk
        for r in existing
        if r.status == OutboxStatus.PENDING
        and (r.kind, r.channel, r.due_at) not in rows
    ]
    if stale:
        OutboxMessage.objects.filter(pk__in=stale, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.CANCELLED, note=note[:200]
        )
    for r in existing:
        new = rows.get((r.kind, r.channel, r.due_at))
        if new is None:
            continue
        if r.status == OutboxStatus.PENDING and r.appointment_sequence == sequence:
            continue
        OutboxMessage.objects.filter(pk=r.pk, status=r.status).update(
            status=OutboxStatus.SENDING
            if r.status == OutboxStatus.SENDING
            else OutboxStatus.PENDING,
            appointment_sequence=sequence,
            send_at=new.send_at,
            expires_at=new.expires_at,
            context=new.context,
            note="",
        )
    OutboxMessage.objects.bulk_create(
        [row for key, row in rows.items() if key not in known],
        ignore_conflicts=True,
    )


def _withdraw(rows: QuerySet[OutboxMessage], note: str) -> int:
    return rows.filter(status=OutboxStatus.PENDING).update(
        status=OutboxStatus.CANCELLED, note=note[:200]
    )


# --- appointments ----------------------------------------------------------------


def schedule_for_appointment(*, appointment: Appointment, now: datetime) -> None:
    """The booking confirmation and reminders of a booked appointment (call in
    the transaction that books, confirms or moves it). Pending messages for an
    earlier time or place are withdrawn, so none goes out for a time that no
    longer holds. A held (not yet confirmed) appointment gets none."""
    patient = appointment.patient
    if not reachable(patient):
        return
    subject = Subject(patient, appointment.clinic, appointment, None)
    wanted: list[Wanted] = []
    if appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now:
        cfg = settings_for(appointment.clinic)
        moved = (
            appointment.sequence > 0
            and subject.rows()
            .filter(kind=MessageKind.BOOKING_CONFIRMATION, status=OutboxStatus.SENT)
            .exists()
        )
        wanted.append(
            Wanted(
                MessageKind.BOOKING_CONFIRMATION,
                due_at=now,
                expires_at=appointment.starts_at,
                context={"moved": moved},
            )
        )
        for hours, due in reminder_times(
            appointment.starts_at,
            cfg.reminder_hours,
            not_before=now + REMINDER_MIN_LEAD,
        ):
            wanted.append(
                Wanted(
                    MessageKind.APPOINTMENT_REMINDER,
                    due_at=due,
                    expires_at=appointment.starts_at,
                    context={"hours": hours},
                )
            )
    prefs = preferences(patient)
    _reconcile(
        subject,
        BOOKING_KINDS,
        wanted,
        now=now,
        note="replaced: the appointment changed",
        prefs=prefs,
    )
    if appointment.plan_session_id is not None:
        _reconcile_plan(_plan_of(appointment), now=now, prefs=prefs)


def scheduler_for(
    appointment: Appointment, *, now: datetime
) -> Callable[[], None] | None:
    """What the PostgreSQL booking fast path runs inside its transaction once the
    row is written, or None when no message could reach the patient (the fast
    path then needs no transaction of its own)."""
    if not reachable(appointment.patient):
        return None
    return lambda: schedule_for_appointment(appointment=appointment, now=now)


def cancel_for_appointment(*, appointment: Appointment, now: datetime) -> None:
    """Withdraw every pending message about a cancelled appointment (call in the
    transaction that cancels it); the plan's messages follow the new state."""
    _withdraw(
        OutboxMessage.objects.filter(appointment=appointment),
        "withdrawn: the appointment was cancelled",
    )
    if appointment.plan_session_id is not None and reachable(appointment.patient):
        _reconcile_plan(_plan_of(appointment), now=now)


def offer_channels(patient: Patient) -> list[Channel]:
    """The channels an earlier time offered to this patient would go out on (no
    channel: the waitlist passes the time to the next request instead)."""
    if not reachable(patient):
        return []
    return channels_for(patient, KindGroup.APPOINTMENTS, preferences(patient))


def schedule_waitlist_offer(
    *, offer: WaitlistOffer, channels: Iterable[Channel], now: datetime
) -> None:
    """Queue an earlier time offered from the waitlist (call in the transaction
    that makes the offer): sent at once, useless once the offer expires, and
    checked when due that the offer and the request are still open and the
    appointment unmoved (`delivery.verdict`). A mail server that is down delays
    it like any other message; it no longer loses it."""
    request = offer.request
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                clinic_id=offer.clinic_id,
                patient_id=request.patient_id,
                appointment_id=request.appointment_id,
                appointment_sequence=request.appointment.sequence,
                waitlist_offer=offer,
                kind=MessageKind.WAITLIST_OFFER,
                channel=channel,
                due_at=now,
                send_at=now,
                expires_at=offer.expires_at,
            )
            for channel in channels
        ]
    )


def _plan_of(appointment: Appointment) -> Plan:
    session = appointment.plan_session
    if session is None:
        raise ValueError("not a planned session")
    return session.plan


# --- a completed session ----------------------------------------------------------


def schedule_after_session(*, appointment: Appointment, now: datetime) -> None:
    """A planned session was completed: aftercare on the days the plan says, a
    check-in request the next day, and the plan's next messages (the next
    session's window, or the review visits after the last one)."""
    if appointment.plan_session_id is None or not reachable(appointment.patient):
        return
    prefs = preferences(appointment.patient)
    schedule_aftercare(appointment=appointment, now=now, prefs=prefs)
    schedule_check_in_request(appointment=appointment, now=now, prefs=prefs)
    _reconcile_plan(_plan_of(appointment), now=now, prefs=prefs)


def plan_advice(plan: Plan) -> list[Advice]:
    """The aftercare block of a plan's JSON (plan.schema.json `aftercare`)."""
    return [
        Advice(int(row["from_day"]), int(row["to_day"]), str(row["advice"]))
        for row in plan.plan.get("aftercare", [])
    ]


def schedule_aftercare(
    *,
    appointment: Appointment,
    now: datetime,
    prefs: dict[tuple[str, str], bool] | None = None,
) -> None:
    """One aftercare message for each day on which some of the plan's advice
    starts, counted from the session's day (day 0 goes when the session ends).
    For a completed session of a plan; nothing otherwise."""
    if appointment.plan_session_id is None or not reachable(appointment.patient):
        return
    plan = _plan_of(appointment)
    zone = appointment.clinic.zone
    cfg = settings_for(appointment.clinic)
    session_on = wallclock.local_date(appointment.starts_at, zone)
    wanted = [
        Wanted(
            MessageKind.AFTERCARE,
            due_at=appointment.ends_at
            if day == 0
            else at_local(session_on + timedelta(days=day), cfg.send_time, zone),
            expires_at=end_of_day(session_on + timedelta(days=day + 1), zone),
            context={"day": day},
        )
        for day in aftercare_days(plan_advice(plan))
    ]
    subject = Subject(appointment.patient, appointment.clinic, appointment, plan)
    _reconcile(
        subject,
        [MessageKind.AFTERCARE],
        wanted,
        now=now,
        note="replaced",
        prefs=prefs,
    )


def schedule_check_in_request(
    *,
    appointment: Appointment,
    now: datetime,
    prefs: dict[tuple[str, str], bool] | None = None,
) -> None:
    """ "How is your skin settling?": a request to fill in the check-in, at the
    clinic's send time on the day after the session."""
    if not reachable(appointment.patient):
        return
    zone = appointment.clinic.zone
    cfg = settings_for(appointment.clinic)
    next_day = wallclock.local_date(appointment.starts_at, zone) + timedelta(days=1)
    due = at_local(next_day, cfg.send_time, zone)
    plan = _plan_of(appointment) if appointment.plan_session_id else None
    subject = Subject(appointment.patient, appointment.clinic, appointment, plan)
    _reconcile(
        subject,
        [MessageKind.CHECK_IN_REQUEST],
        [Wanted(MessageKind.CHECK_IN_REQUEST, due, due + CHECK_IN_VALID)],
        now=now,
        note="replaced",
        prefs=prefs,
    )


# --- plans --------------------------------------------------------------------------


def schedule_for_plan(*, plan: Plan, now: datetime) -> None:
    """An approved plan's own messages (call in the approving transaction); the
    pending plan messages of the patient's earlier plans are withdrawn."""
    _withdraw(
        OutboxMessage.objects.filter(
            patient=plan.patient, appointment__isnull=True
        ).exclude(plan=plan),
        "withdrawn: a newer plan was approved",
    )
    if reachable(plan.patient):
        _reconcile_plan(plan, now=now)


def _reconcile_plan(
    plan: Plan,
    *,
    now: datetime,
    prefs: dict[tuple[str, str], bool] | None = None,
) -> None:
    """The plan's messages as its sessions stand now: the window of the next
    session nobody has booked yet, and the follow-up visits once the last
    session is booked or done. Re-run whenever a session is booked, moved,
    cancelled or completed (the windows re-flow)."""
    wanted: list[Wanted] = []
    if plan.status == PlanStatus.APPROVED:
        sessions = list(PlanSession.objects.filter(plan=plan).order_by("number"))
        active = {
            a.plan_session_id: a
            for a in Appointment.objects.filter(plan_session__plan=plan)
            .exclude(status=AppointmentStatus.CANCELLED)
            .only("pk", "plan_session_id", "starts_at", "status")
        }
        following = next((s for s in sessions if s.pk not in active), None)
        if following is not None:
            wanted += _window_messages(plan, following, now=now)
        elif sessions:
            last = active[sessions[-1].pk]
            last_on = wallclock.local_date(last.starts_at, plan.clinic.zone)
            wanted += _follow_up_messages(plan, last_on)
    _reconcile(
        Subject(plan.patient, plan.clinic, None, plan),
        PLAN_KINDS,
        wanted,
        now=now,
        note="replaced: the plan's sessions changed",
        prefs=prefs,
    )


def _window_messages(
    plan: Plan, session: PlanSession, *, now: datetime
) -> list[Wanted]:
    """ "You can book session n from …" and, if still unbooked, "its window
    closes on …". Each goes to a session once."""
    zone = plan.clinic.zone
    cfg = settings_for(plan.clinic)
    told = set(
        OutboxMessage.objects.filter(
            plan_session=session, status=OutboxStatus.SENT
        ).values_list("kind", flat=True)
    )
    approved_on = wallclock.local_date(plan.approved_at or now, zone)
    opens_on = max(session.earliest_on, approved_on + timedelta(days=1))
    expires = end_of_day(session.latest_on, zone)
    context = {
        "session": session.number,
        "earliest_on": session.earliest_on.isoformat(),
        "latest_on": session.latest_on.isoformat(),
    }
    out = []
    if opens_on <= session.latest_on and MessageKind.WINDOW_OPENS not in told:
        out.append(
            Wanted(
                MessageKind.WINDOW_OPENS,
                at_local(opens_on, cfg.send_time, zone),
                expires,
                context,
                session,
            )
        )
    closing_on = session.latest_on - timedelta(days=cfg.window_closing_days)
    if closing_on > opens_on and MessageKind.WINDOW_CLOSING not in told:
        out.append(
            Wanted(
                MessageKind.WINDOW_CLOSING,
                at_local(closing_on, cfg.send_time, zone),
                expires,
                context,
                session,
            )
        )
    return out


FOLLOW_UP_KINDS = {
    "review": MessageKind.REVIEW_VISIT,
    "maintenance": MessageKind.MAINTENANCE_RECALL,
}


def _follow_up_messages(plan: Plan, last_on: date) -> list[Wanted]:
    """A recall some days before each review (and, when the clinic's protocol
    plans them, maintenance) visit, counted from the last session's day."""
    zone = plan.clinic.zone
    cfg = settings_for(plan.clinic)
    out = []
    for row in plan.plan.get("follow_up", []):
        kind = FOLLOW_UP_KINDS.get(str(row.get("kind")))
        if kind is None:
            continue
        days = int(row["after_last_session_days"])
        visit_on = last_on + timedelta(days=days)
        notice_on = max(
            visit_on - timedelta(days=cfg.recall_notice_days),
            last_on + timedelta(days=1),
        )
        out.append(
            Wanted(
                kind,
                at_local(notice_on, cfg.send_time, zone),
                end_of_day(visit_on, zone),
                {"visit_on": visit_on.isoformat(), "after_days": days},
            )
        )
    return out


# --- a patient's choices ----------------------------------------------------------


def set_contact_preference(
    *,
    patient: Patient,
    group: KindGroup | str,
    channel: Channel | str,
    enabled: bool,
    now: datetime,
    via: str,
) -> ContactPreference:
    """Turn one group of messages on or off on one channel. Turning it off
    withdraws what is pending of that group on that channel."""
    group, channel = KindGroup(group), Channel(channel)
    with transaction.atomic():
        pref, created = _store_preference(patient, group, channel, enabled, now, via)
        if not enabled:
            kinds = [k for k, g in GROUP_OF.items() if g == group]
            _withdraw(
                OutboxMessage.objects.filter(
                    Q(patient=patient) & Q(channel=channel) & Q(kind__in=kinds)
                ),
                "withdrawn: the patient opted out",
            )
        record_write(pref, AuditAction.CREATE if created else AuditAction.UPDATE)
    return pref


def _store_preference(
    patient: Patient,
    group: KindGroup,
    channel: Channel,
    enabled: bool,
    now: datetime,
    via: str,
) -> tuple[ContactPreference, bool]:
    return ContactPreference.objects.update_or_create(
        patient=patient,
        group=group,
        channel=channel,
        defaults={
            "clinic_id": patient.clinic_id,
            "enabled": enabled,
            "changed_at": now,
            "changed_via": via[:40],
        },
    )


def stop_all_messages(*, patient: Patient, now: datetime, by: StaffMember) -> int:
    """No more messages of any group on any channel: every choice turned off and
    marked as the account closure's, and everything pending withdrawn. Returns
    how many pending messages were withdrawn. Call in the closure's transaction.

    The rows are kept (off), not deleted: without a row a patient gets the
    defaults (email on), so deleting them would start messages again."""
    changed = [
        _store_preference(patient, group, channel, False, now, ACCOUNT_CLOSED_VIA)
        for group in KindGroup
        for channel in Channel
    ]
    withdrawn = _withdraw(
        OutboxMessage.objects.filter(patient=patient),
        "withdrawn: the portal account was closed",
    )
    for pref, created in changed:
        record_write(pref, AuditAction.CREATE if created else AuditAction.UPDATE, by=by)
    return withdrawn


def closed_with_account(pref: ContactPreference | None) -> bool:
    """Whether this choice was set off by closing the patient's portal account
    (then only the clinic changes it, not a link in an old message)."""
    return pref is not None and pref.changed_via == ACCOUNT_CLOSED_VIA


def _link_choice(
    message: OutboxMessage, *, enabled: bool, now: datetime
) -> ContactPreference:
    current = ContactPreference.objects.filter(
        patient_id=message.patient_id, group=message.group, channel=message.channel
    ).first()
    if current is not None and closed_with_account(current):
        return current
    return set_contact_preference(
        patient=message.patient,
        group=message.group,
        channel=message.channel,
        enabled=enabled,
        now=now,
        via="unsubscribe link",
    )


def unsubscribe(*, message: OutboxMessage, now: datetime) -> ContactPreference:
    """The unsubscribe link of a message: no more messages of its group on its
    channel."""
    return _link_choice(message, enabled=False, now=now)


def resubscribe(*, message: OutboxMessage, now: datetime) -> ContactPreference:
    """Undo `unsubscribe` from the same link; refused (the choice is returned
    unchanged) once the patient's portal account is closed."""
    return _link_choice(message, enabled=True, now=now)
