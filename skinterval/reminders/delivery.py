"""Sending what the outbox holds: claim, check, send, mark.

1. `release_expired_leases` (the sweeper) puts rows whose worker's lease has run
   out back to `pending`: their worker died or hung.
2. `claim_due` takes up to `limit` due rows with one conditional UPDATE
   (`pending` → `sending`, a lease, the worker's id and a fresh claim token). On
   PostgreSQL the candidates are read with FOR UPDATE SKIP LOCKED so that workers
   do not queue behind each other; SQLite runs the whole claim as one
   BEGIN IMMEDIATE transaction. Either way a row is held by one claim at a time.
3. `deliver` checks each claimed row against the current state (`verdict`), hands
   it to the email backend (with `Message-ID` = the outbox id) or the SMS backend,
   and marks it sent — every write conditional on the claim token, so a worker
   that lost its lease cannot overwrite the row's new owner.

Delivery is at least once; a resend after a crash carries the same Message-ID
(see decision 0007 for what that does and does not promise with SMTP).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, QuerySet

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    WaitlistStatus,
)
from skinterval.appointments.waitlist import is_open
from skinterval.domain.messaging import quiet_until
from skinterval.interop.calendar_feed import appointment_ics
from skinterval.plans.models import PlanStatus
from skinterval.reminders.links import portal_url, unsubscribe_url
from skinterval.reminders.models import (
    BOOKING_KINDS,
    Channel,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
)
from skinterval.reminders.rendering import render
from skinterval.reminders.services import preferences, settings_for, sms_configured
from skinterval.reminders.sms import get_sms_backend

# Answers to the patient's own action, sent at once even in quiet hours: a
# booking just made, and an earlier time the patient asked for (its offer lasts
# two hours, and the time goes to the next in line if nobody hears of it).
IMMEDIATE_KINDS = frozenset(
    {MessageKind.BOOKING_CONFIRMATION, MessageKind.WAITLIST_OFFER}
)

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Claim:
    token: str
    ids: list[int]
    lease_until: datetime


def release_expired_leases(*, now: datetime) -> int:
    """Return rows held past their lease to `pending` (their worker died); a row
    that has used up its attempts is marked failed instead."""
    expired = OutboxMessage.objects.filter(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )
    failed = expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=OutboxStatus.FAILED,
        lease_until=None,
        claim_token="",
        note="gave up: its worker stopped while sending, too often",
    )
    released = expired.update(
        status=OutboxStatus.PENDING, lease_until=None, claim_token="", worker_id=""
    )
    if released or failed:
        log.warning("outbox: %d expired leases released, %d failed", released, failed)
    return released


def claim_due(
    *, now: datetime, worker_id: str, limit: int, lease: timedelta = DEFAULT_LEASE
) -> Claim:
    """Take up to `limit` rows due by `now` for this worker until `now + lease`."""
    token = uuid.uuid4().hex
    lease_until = now + lease
    with transaction.atomic():
        candidates = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING, send_at__lte=now)
            .order_by("send_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if candidates:
            OutboxMessage.objects.filter(
                pk__in=candidates, status=OutboxStatus.PENDING
            ).update(
                status=OutboxStatus.SENDING,
                lease_until=lease_until,
                worker_id=worker_id[:100],
                claim_token=token,
                attempts=F("attempts") + 1,
            )
    ids = list(
        OutboxMessage.objects.filter(claim_token=token, status=OutboxStatus.SENDING)
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )
    return Claim(token=token, ids=ids, lease_until=lease_until)


def _held(pk: int, token: str) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        pk=pk, claim_token=token, status=OutboxStatus.SENDING
    )


# --- is it still true? ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    send: bool
    note: str = ""
    defer_until: datetime | None = None


SEND = Verdict(True)


def verdict(row: OutboxMessage, *, now: datetime) -> Verdict:
    """Whether a due message is still right to send now: what it is about still
    holds as it was when it was scheduled, the patient still wants it and can
    receive it, it is not too late, and it is not the clinic's quiet hours."""
    if now >= row.expires_at:
        return Verdict(False, "too late: no longer useful")
    appointment = row.appointment
    if row.kind in BOOKING_KINDS:
        if appointment is None or appointment.status != AppointmentStatus.BOOKED:
            return Verdict(False, "stale: the appointment is no longer booked")
        if appointment.sequence != row.appointment_sequence:
            return Verdict(False, "stale: the appointment moved")
        if appointment.starts_at <= now:
            return Verdict(False, "too late: the appointment has started")
    elif row.kind in (MessageKind.AFTERCARE, MessageKind.CHECK_IN_REQUEST):
        if appointment is None or appointment.status != AppointmentStatus.COMPLETED:
            return Verdict(False, "stale: the session is not completed")
    elif row.kind == MessageKind.WAITLIST_OFFER:
        offer = row.waitlist_offer
        if offer is None or not is_open(offer, now):
            return Verdict(False, "stale: the offer is no longer open")
        if offer.request.status != WaitlistStatus.OPEN:
            return Verdict(False, "stale: the patient's request is closed")
        if appointment is None or appointment.status != AppointmentStatus.BOOKED:
            return Verdict(False, "stale: the appointment is no longer booked")
        if appointment.sequence != row.appointment_sequence:
            return Verdict(False, "stale: the appointment moved")
    else:
        plan_problem = _plan_problem(row)
        if plan_problem:
            return Verdict(False, plan_problem)
    patient = row.patient
    if row.channel == Channel.EMAIL and not patient.email:
        return Verdict(False, "no email address")
    if row.channel == Channel.SMS and not (patient.phone and sms_configured()):
        return Verdict(False, "no phone number or no SMS gateway")
    if not preferences(patient)[(row.group, row.channel)]:
        return Verdict(False, "the patient opted out")
    cfg = settings_for(row.clinic)
    later = (
        None
        if row.kind in IMMEDIATE_KINDS
        else quiet_until(now, row.clinic.zone, cfg.quiet_hours)
    )
    if later is not None:
        if later >= row.expires_at:
            return Verdict(False, "too late: quiet hours last until it expires")
        return Verdict(False, "quiet hours", defer_until=later)
    return SEND


def _plan_problem(row: OutboxMessage) -> str:
    plan = row.plan
    if plan is None or plan.status != PlanStatus.APPROVED:
        return "stale: the plan is no longer the approved one"
    if row.kind in (MessageKind.WINDOW_OPENS, MessageKind.WINDOW_CLOSING):
        session = row.plan_session
        if session is None:
            return "stale: the session is gone"
        if (
            Appointment.objects.filter(plan_session=session)
            .exclude(status=AppointmentStatus.CANCELLED)
            .exists()
        ):
            return "stale: the session is booked"
        window = (session.earliest_on.isoformat(), session.latest_on.isoformat())
        if window != (row.context.get("earliest_on"), row.context.get("latest_on")):
            return "stale: the session's window moved"
    else:
        visit_on = row.context.get("visit_on", "")
        booked = Appointment.objects.filter(
            patient=row.patient,
            service_type__kind=ServiceKind.REVIEW,
            starts_at__gte=row.due_at,
        ).exclude(status=AppointmentStatus.CANCELLED)
        if visit_on and booked.exists():
            return "not needed: a review visit is booked"
    return ""


# --- sending -----------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    lost: int = 0  # claims that expired under this worker

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.deferred += other.deferred
        self.failed += other.failed
        self.lost += other.lost

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.deferred + self.failed + self.lost


def _load(pk: int, token: str) -> OutboxMessage | None:
    return (
        _held(pk, token)
        .select_related(
            "clinic",
            "clinic__messaging",
            "patient",
            "appointment__location",
            "plan",
            "plan_session",
            "waitlist_offer__request",
        )
        .first()
    )


def email_for(row: OutboxMessage, language: str) -> EmailMessage:
    text = render(row, language)
    message = EmailMessage(
        subject=text.subject,
        body=text.body,
        from_email=None,
        to=[row.patient.email],
        headers={
            "Message-ID": row.message_id,
            "List-Unsubscribe": f"<{unsubscribe_url(row.pk)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    if row.kind == MessageKind.BOOKING_CONFIRMATION and row.appointment is not None:
        # The appointment as a calendar file: no health details (interop.ical).
        message.attach(
            "appointment.ics",
            appointment_ics(row.appointment, url=portal_url()),
            "text/calendar; method=PUBLISH; charset=utf-8",
        )
    return message


def _retry_at(attempts: int, now: datetime) -> datetime:
    return now + timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver(
    claim: Claim,
    *,
    clock: Callable[[], datetime],
    send_timeout: timedelta = timedelta(seconds=30),
) -> Outcome:
    """Send the claimed rows one by one. Stops (and hands the rest back) when the
    lease would run out during the next hand-over."""
    outcome = Outcome()
    connection = None
    try:
        for index, pk in enumerate(claim.ids):
            now = clock()
            if now + send_timeout >= claim.lease_until:
                rest = claim.ids[index:]
                OutboxMessage.objects.filter(
                    pk__in=rest, claim_token=claim.token, status=OutboxStatus.SENDING
                ).update(
                    status=OutboxStatus.PENDING,
                    lease_until=None,
                    claim_token="",
                    attempts=F("attempts") - 1,
                )
                break
            row = _load(pk, claim.token)
            if row is None:
                outcome.lost += 1
                continue
            judged = verdict(row, now=now)
            if not judged.send:
                if judged.defer_until is not None:
                    _held(pk, claim.token).update(
                        status=OutboxStatus.PENDING,
                        send_at=judged.defer_until,
                        lease_until=None,
                        claim_token="",
                        attempts=F("attempts") - 1,
                    )
                    outcome.deferred += 1
                else:
                    _held(pk, claim.token).update(
                        status=OutboxStatus.SKIPPED, lease_until=None, note=judged.note
                    )
                    outcome.skipped += 1
                continue
            language = settings_for(row.clinic).language
            try:
                if row.channel == Channel.EMAIL:
                    if connection is None:
                        connection = get_connection(
                            timeout=int(send_timeout.total_seconds())
                        )
                    connection.send_messages([email_for(row, language)])
                else:
                    get_sms_backend().send(
                        to=row.patient.phone,
                        body=render(row, language).sms,
                        message_id=f"outbox-{row.pk}",
                    )
            except Exception as exc:  # any backend failure is retried
                outcome.failed += _failed(row, claim.token, exc, now)
                connection = None
                continue
            marked = _held(pk, claim.token).update(
                status=OutboxStatus.SENT, sent_at=clock(), lease_until=None, note=""
            )
            if marked:
                outcome.sent += 1
            else:
                log.warning("outbox %s: lease lost while sending", pk)
                outcome.lost += 1
    finally:
        if connection is not None:
            connection.close()
    return outcome


def _failed(row: OutboxMessage, token: str, exc: Exception, now: datetime) -> int:
    """Back off and try again later, or give up after MAX_ATTEMPTS. The note
    names the error's type only (an SMTP error can quote the address)."""
    log.warning("outbox %s: sending failed (%s)", row.pk, type(exc).__name__)
    if row.attempts >= MAX_ATTEMPTS:
        _held(row.pk, token).update(
            status=OutboxStatus.FAILED,
            lease_until=None,
            note=f"gave up after {row.attempts} attempts: {type(exc).__name__}",
        )
        return 1
    _held(row.pk, token).update(
        status=OutboxStatus.PENDING,
        send_at=_retry_at(row.attempts, now),
        lease_until=None,
        claim_token="",
        note=f"attempt {row.attempts} failed: {type(exc).__name__}",
    )
    return 1


def send_due(
    *,
    clock: Callable[[], datetime],
    worker_id: str,
    batch: int = 20,
    lease: timedelta = DEFAULT_LEASE,
    send_timeout: timedelta | None = None,
) -> Outcome:
    """One round: sweep expired leases, claim a batch, deliver it."""
    release_expired_leases(now=clock())
    claim = claim_due(now=clock(), worker_id=worker_id, limit=batch, lease=lease)
    if not claim.ids:
        return Outcome()
    timeout = send_timeout or min(lease / 2, timedelta(seconds=30))
    return deliver(claim, clock=clock, send_timeout=timeout)


__all__ = [
    "Claim",
    "Outcome",
    "claim_due",
    "deliver",
    "release_expired_leases",
    "send_due",
    "verdict",
]
