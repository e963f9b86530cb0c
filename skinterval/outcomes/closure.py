"""Closing a patient's portal account (the clinic owner acting on an
`AccountClosureRequest`): end every way in, erase what only the portal held, keep
the health record.

What ends, in one transaction:

- the login (`Patient.user`): deactivated and stripped of its name, email and
  username (a random opaque value takes its place) and given an unusable
  password. Its sessions end on their next request without a scan of the session
  table: Django re-checks every session against its login, and refuses it when
  the login is inactive (`ModelBackend.get_user`) or its password changed (the
  session's auth hash is derived from the password hash), whatever the session
  engine;
- its API tokens (revoked, kept for the record), the private calendar feed
  (turned off), failed-login records under the old username;
- messages: every choice set to "no messages" (marked as the closure's, so a
  link in an old message cannot start them again), everything pending
  withdrawn;
- open waitlist requests (withdrawn; open offers on them declined).

Future booked appointments are the clinic's decision, not a side effect: the
confirmation page lists them and the owner ticks those to cancel, which go
through the normal cancellation (`cancel_appointment`: freed times offered to
the waitlist, the plan's series re-flowed). Unticked ones stay booked.

Kept: the patient record and everything clinical (plans, appointments, session
charts, consents, check-ins, scores, photos, intake answers), messages already
sent, and the audit log: health records are retained for the period the
clinic's legal obligations set (clinic/legal policy, docs/portal.md). The login
row itself is kept, anonymous, linked to the patient record, so that audit
events the patient caused stay attributable.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.db import transaction

from skinterval.accounts.models import ApiToken, User
from skinterval.appointments.errors import BookingError
from skinterval.appointments.feeds import revoke_calendar_feed
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    WaitlistRequest,
    WaitlistStatus,
)
from skinterval.appointments.services import cancel_appointment
from skinterval.appointments.waitlist import withdraw_request
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.outcomes.models import AccountClosureRequest, ClosureStatus
from skinterval.patients.models import Patient
from skinterval.reminders.models import OutboxMessage, OutboxStatus
from skinterval.reminders.services import stop_all_messages

# The cancellation reason of appointments the owner cancels with the closure.
CANCELLED_REASON = "account closed"
CLOSED_USERNAME_PREFIX = "closed-"


class ClosureRefused(Exception):
    """The account cannot be closed this way; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ClosurePreview:
    """What closing would end now (shown on the confirmation page)."""

    has_login: bool
    login_active: bool
    api_tokens: int
    calendar_feed: bool
    pending_messages: int
    waitlist_requests: int
    future_appointments: list[Appointment]


@dataclass(frozen=True)
class ClosureOutcome:
    """What closing ended. `already_closed`: the request was handled before and
    nothing changed this time."""

    already_closed: bool
    login_ended: bool = False
    api_tokens_revoked: int = 0
    feeds_turned_off: int = 0
    messages_withdrawn: int = 0
    waitlist_withdrawn: int = 0
    appointments_cancelled: int = 0


def future_appointments(patient: Patient, *, now: datetime) -> list[Appointment]:
    """The patient's booked appointments still to come, soonest first."""
    return list(
        Appointment.objects.filter(
            patient=patient,
            clinic_id=patient.clinic_id,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
        )
        .select_related("service_type", "practitioner", "plan_session")
        .order_by("starts_at", "pk")
    )


def closure_preview(
    closure_request: AccountClosureRequest, *, now: datetime
) -> ClosurePreview:
    patient = closure_request.patient
    user = patient.user
    return ClosurePreview(
        has_login=user is not None,
        login_active=user is not None and user.is_active,
        api_tokens=(
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
            if user is not None
            else 0
        ),
        calendar_feed=CalendarFeed.objects.filter(
            patient=patient, revoked_at__isnull=True
        ).exists(),
        pending_messages=OutboxMessage.objects.filter(
            patient=patient, status=OutboxStatus.PENDING
        ).count(),
        waitlist_requests=WaitlistRequest.objects.filter(
            patient=patient, status=WaitlistStatus.OPEN
        ).count(),
        future_appointments=future_appointments(patient, now=now),
    )


def _require_owner(by: StaffMember, closure_request: AccountClosureRequest) -> None:
    if (
        not by.is_active
        or by.role != StaffRole.OWNER
        or by.clinic_id != closure_request.clinic_id
    ):
        raise PermissionDenied("Only the clinic's owner closes a patient's account.")


def close_account(
    *,
    closure_request: AccountClosureRequest,
    by: StaffMember,
    now: datetime,
    cancel_appointment_ids: Iterable[int] = (),
) -> ClosureOutcome:
    """Close the portal account of the request's patient (see the module's
    docstring for what ends, what is erased and what is kept) and mark the
    request handled. `cancel_appointment_ids`: the future booked appointments of
    this patient the owner chose to cancel with it (any other id is ignored).

    Idempotent: a request already handled changes nothing. Refused
    (PermissionDenied) to anyone but an active owner of the request's clinic."""
    _require_owner(by, closure_request)
    wanted_ids = {int(pk) for pk in cancel_appointment_ids}
    with transaction.atomic():
        request_row = (
            AccountClosureRequest.objects.select_for_update()
            .select_related("patient")
            .get(pk=closure_request.pk)
        )
        if request_row.status != ClosureStatus.OPEN:
            return ClosureOutcome(already_closed=True)
        patient = request_row.patient
        user = (
            User.objects.select_for_update().filter(pk=patient.user_id).first()
            if patient.user_id is not None
            else None
        )
        if user is not None and hasattr(user, "staff_member"):
            # A login that is also a staff login is ended by the administration,
            # not by a patient's request.
            raise ClosureRefused("staff_login")

        cancelled = _cancel_chosen(patient, wanted_ids, now=now)
        waitlist = list(
            WaitlistRequest.objects.filter(patient=patient, status=WaitlistStatus.OPEN)
        )
        for waiting in waitlist:
            withdraw_request(request=waiting, now=now)
        feeds = revoke_calendar_feed(patient=patient, now=now)
        tokens = 0
        if user is not None:
            tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now
            )
            _end_login(user)
        withdrawn = stop_all_messages(patient=patient, now=now, by=by)

        request_row.status = ClosureStatus.DONE
        request_row.handled_by = by
        request_row.handled_at = now
        request_row.save(update_fields=["status", "handled_by", "handled_at"])

        # Audit last (the chain's lock is held until the commit): ids only.
        for waiting in waitlist:
            record_write(waiting, AuditAction.UPDATE, by=by)
        if user is not None:
            record_write(user, AuditAction.UPDATE, by=by)
        record_write(request_row, AuditAction.UPDATE, by=by)
    closure_request.refresh_from_db()
    return ClosureOutcome(
        already_closed=False,
        login_ended=user is not None,
        api_tokens_revoked=tokens,
        feeds_turned_off=feeds,
        messages_withdrawn=withdrawn,
        waitlist_withdrawn=len(waitlist),
        appointments_cancelled=cancelled,
    )


def _cancel_chosen(patient: Patient, wanted_ids: set[int], *, now: datetime) -> int:
    """Cancel the chosen future appointments through the normal cancellation.
    One that stopped being cancellable since the page was shown (the patient
    arrived, it was moved into the past) is left as it is."""
    if not wanted_ids:
        return 0
    count = 0
    for appointment in future_appointments(patient, now=now):
        if appointment.pk not in wanted_ids:
            continue
        try:
            cancel_appointment(
                appointment=appointment, reason=CANCELLED_REASON, now=now
            )
        except BookingError:
            continue
        count += 1
    return count


def _end_login(user: User) -> None:
    """Deactivate the login and erase what identifies a person in it."""
    old_username = user.get_username()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.username = CLOSED_USERNAME_PREFIX + secrets.token_hex(16)
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.last_login = None
    user.save()
    # Failed-login records (django-axes) are kept under the username typed.
    AccessAttempt.objects.filter(username=old_username).delete()
