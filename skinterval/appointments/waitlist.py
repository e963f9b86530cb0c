"""The window-aware waitlist: freed times offered to patients who asked for an
earlier one, best fit first.

A `WaitlistRequest` says "I would take an earlier time for this booked
appointment". When an appointment is cancelled or a hold expires
(`appointments.services` calls `offer_freed_times_later`), the freed time is
offered, after the booking commits, to the open requests it suits:

- the same service at the same clinic, and earlier than the requester's booking;
- inside the requester's *current* session window for a planned session (so an
  offer never breaks the plan's interval rules), or from the request's
  `earliest_on` on for any other visit;
- really bookable for that patient (the staff slot search, with the same
  practitioner, and for a planned session a device that reaches the planned depth).

Suitable requests are ranked by distance from their target date (the session's
target; for other visits, as soon as possible), then by who asked first. The best
`OFFERS_AT_ONCE` whom a message can reach get an offer, queued in the message
outbox in the transaction that makes it (sent at once, retried while the mail
server is down, not sent once the offer has closed). The first to accept gets
the time through the normal booking path (`reschedule_appointment`, which
re-checks everything); the others' offers close as taken. Offers expire after
`OFFER_TTL` (never after the time itself is near); a declined or expired offer
passes the time to the next request in line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from skinterval.appointments.errors import BookingError
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
    WaitlistRequest,
    WaitlistStatus,
)
from skinterval.appointments.queries import (
    SlotOption,
    find_slots_for,
    planned_max_depth_mm,
)
from skinterval.clinics.models import StaffMember
from skinterval.domain import wallclock
from skinterval.reminders import services as messages

OFFERS_AT_ONCE = 3
OFFER_TTL = timedelta(hours=2)
# A time starting sooner than this is not offered (nobody could plan for it),
# and an offer closes this long before its time.
MIN_LEAD = timedelta(hours=2)
# How many ranked requests are checked for a freed time before giving up.
CANDIDATES_CHECKED = 12
LINK_SALT = "skinterval.waitlist-offer"


class WaitlistError(Exception):
    """A refused waitlist action; `code` says why."""

    MESSAGES = {
        "not_booked": gettext_lazy(
            "Only a booked appointment still to come can be brought forward."
        ),
        "closed": gettext_lazy("This offer is no longer open."),
        "expired": gettext_lazy("This offer has expired."),
        "taken": gettext_lazy("That time was just taken."),
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES.get(self.code, self.code))


# --------------------------------------------------------------------------- requests


def request_earlier_time(
    *,
    appointment: Appointment,
    now: datetime,
    created_by: StaffMember | None = None,
    earliest_on: date | None = None,
) -> WaitlistRequest:
    """Put the appointment on the waitlist (idempotent: an open request is kept)."""
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        raise WaitlistError("not_booked")
    existing = WaitlistRequest.objects.filter(
        appointment=appointment, status=WaitlistStatus.OPEN
    ).first()
    if existing is not None:
        return existing
    return WaitlistRequest.objects.create(
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        appointment=appointment,
        earliest_on=earliest_on,
        created_by=created_by,
        created_at=now,
    )


def withdraw_request(*, request: WaitlistRequest, now: datetime) -> WaitlistRequest:
    if request.status == WaitlistStatus.OPEN:
        request.status = WaitlistStatus.WITHDRAWN
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        request.offers.filter(status=OfferStatus.OPEN).update(
            status=OfferStatus.DECLINED, answered_at=now
        )
    return request


# --------------------------------------------------------------------------- offering


def offer_freed_times_later(appointment_ids: Iterable[int]) -> None:
    """The hook: once the current transaction commits, offer the times these
    (cancelled) appointments freed, in the background. Never fails the caller."""
    ids = [int(pk) for pk in appointment_ids]
    if not ids:
        return

    def enqueue() -> None:
        from skinterval.appointments.tasks import offer_freed_times_task

        offer_freed_times_task.enqueue(ids)

    transaction.on_commit(enqueue, robust=True)


def offer_freed_times(appointment_ids: Iterable[int], *, now: datetime) -> int:
    """Offer each freed time; returns how many offers were made."""
    made = 0
    # A lapsed hold counts as freed even before its row says cancelled (outside
    # a transaction the hook runs before `release_expired_holds` writes).
    freed_rows = Appointment.objects.filter(pk__in=list(appointment_ids)).filter(
        Q(status=AppointmentStatus.CANCELLED)
        | Q(status=AppointmentStatus.HELD, hold_expires_at__lte=now)
    )
    for freed in freed_rows.select_related("clinic", "service_type", "practitioner"):
        made += len(offer_freed_time(freed=freed, now=now))
    return made


def _target(request: WaitlistRequest, today: date) -> date:
    session = request.appointment.plan_session
    if session is not None:
        return session.target_on
    return max(request.earliest_on or today, today)


def candidates(freed: Appointment, *, now: datetime) -> list[WaitlistRequest]:
    """Open requests the freed time could suit, best fit first (before the
    bookability check)."""
    zone = freed.clinic.zone
    day = wallclock.local_date(freed.starts_at, zone)
    today = wallclock.local_date(now, zone)
    rows = (
        WaitlistRequest.objects.filter(
            clinic_id=freed.clinic_id,
            status=WaitlistStatus.OPEN,
            appointment__status=AppointmentStatus.BOOKED,
            appointment__service_type_id=freed.service_type_id,
            appointment__starts_at__gt=freed.starts_at,
        )
        .exclude(patient_id=freed.patient_id)
        .exclude(offers__freed_appointment=freed)
        .filter(Q(earliest_on__isnull=True) | Q(earliest_on__lte=day))
        .filter(
            Q(appointment__plan_session__isnull=True)
            | Q(
                appointment__plan_session__earliest_on__lte=day,
                appointment__plan_session__latest_on__gte=day,
            )
        )
        .select_related(
            "patient", "appointment__plan_session__plan", "appointment__service_type"
        )
    )
    return sorted(
        rows,
        key=lambda r: (abs((day - _target(r, today)).days), r.created_at, r.pk),
    )


def offer_freed_time(*, freed: Appointment, now: datetime) -> list[WaitlistOffer]:
    """Offer one freed time to the best-fitting requests, up to OFFERS_AT_ONCE
    open offers at a time. Makes nothing when the time is near, already taken,
    or already accepted by someone."""
    if freed.starts_at - now < MIN_LEAD:
        return []
    offers = WaitlistOffer.objects.filter(freed_appointment=freed)
    if offers.filter(status=OfferStatus.ACCEPTED).exists():
        return []
    still_open = offers.filter(status=OfferStatus.OPEN, expires_at__gt=now).count()
    room_for = OFFERS_AT_ONCE - still_open
    made: list[WaitlistOffer] = []
    for request in candidates(freed, now=now)[:CANDIDATES_CHECKED]:
        if len(made) >= room_for:
            break
        channels = messages.offer_channels(request.patient)
        if not channels:
            continue  # nobody could tell the patient: the next in line gets it
        option = _bookable(freed, request, now=now)
        if option is None:
            continue
        try:
            with transaction.atomic():
                offer = _offer(freed, request, option, now)
                messages.schedule_waitlist_offer(
                    offer=offer, channels=channels, now=now
                )
        except IntegrityError:  # a run for the same time offered it meanwhile
            continue
        made.append(offer)
    return made


def _offer(
    freed: Appointment, request: WaitlistRequest, option: SlotOption, now: datetime
) -> WaitlistOffer:
    return WaitlistOffer.objects.create(
        clinic_id=freed.clinic_id,
        request=request,
        freed_appointment=freed,
        starts_at=freed.starts_at,
        practitioner=option.practitioner,
        room=option.room,
        device=option.device,
        offered_at=now,
        expires_at=min(now + OFFER_TTL, freed.starts_at - MIN_LEAD),
    )


def _bookable(
    freed: Appointment, request: WaitlistRequest, *, now: datetime
) -> SlotOption | None:
    """The slot option at exactly the freed time for this patient, or None."""
    day = wallclock.local_date(freed.starts_at, freed.clinic.zone)
    current = request.appointment
    session = current.plan_session
    depth = planned_max_depth_mm(session.plan.plan) if session is not None else None
    for option in find_slots_for(
        clinic=freed.clinic,
        service=current.service_type,
        first_on=day,
        last_on=day,
        now=now,
        patient=request.patient,
        practitioners=[freed.practitioner],
        min_device_depth_mm=depth,
        limit=200,
        exclude_appointment_id=current.pk,
    ):
        if option.slot.start == freed.starts_at:
            return option
    return None


# --------------------------------------------------------------------------- answers


def accept_offer(*, offer: WaitlistOffer, now: datetime) -> Appointment:
    """Move the requester's appointment to the offered time through the booking
    path. Raises WaitlistError when the offer is closed, expired or lost (and
    records that on the offer)."""
    from skinterval.appointments.services import reschedule_appointment

    refused: tuple[OfferStatus, str] | None = None
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("request__appointment", "room", "device", "practitioner")
            .get(pk=offer.pk)
        )
        request = offer.request
        if offer.status != OfferStatus.OPEN:
            raise WaitlistError("closed")
        if offer.expires_at <= now:
            refused = (OfferStatus.EXPIRED, "expired")
        elif request.status != WaitlistStatus.OPEN:
            refused = (OfferStatus.DECLINED, "closed")
        else:
            try:
                with transaction.atomic():
                    moved = reschedule_appointment(
                        appointment=request.appointment,
                        starts_at=offer.starts_at,
                        now=now,
                        practitioner=offer.practitioner,
                        room=offer.room,
                        device=offer.device,
                    )
            except BookingError:
                refused = (OfferStatus.TAKEN, "taken")
        if refused is not None:
            _close(offer, refused[0], now)
        else:
            _close(offer, OfferStatus.ACCEPTED, now)
            request.status = WaitlistStatus.FULFILLED
            request.closed_at = now
            request.save(update_fields=["status", "closed_at"])
            WaitlistOffer.objects.filter(
                freed_appointment_id=offer.freed_appointment_id,
                status=OfferStatus.OPEN,
            ).update(status=OfferStatus.TAKEN, answered_at=now)
            # the same patient's offers of other times are no longer needed
            _close_open_offers(request.offers.all(), now)
    if refused is not None:
        raise WaitlistError(refused[1])
    return moved


def decline_offer(*, offer: WaitlistOffer, now: datetime) -> None:
    """Say no; the time goes to the next request in line."""
    with transaction.atomic():
        if offer.status != OfferStatus.OPEN:
            raise WaitlistError("closed")
        _close(offer, OfferStatus.DECLINED, now)
    offer_freed_times([offer.freed_appointment_id], now=now)


def close_requests_of(appointment: Appointment, *, now: datetime) -> None:
    """The requester's appointment was cancelled (call in that transaction): its
    open requests are withdrawn and their open offers closed, and the times they
    held go to the next in line once the cancellation commits."""
    requests = WaitlistRequest.objects.filter(
        appointment=appointment, status=WaitlistStatus.OPEN
    )
    _close_open_offers(WaitlistOffer.objects.filter(request__in=requests), now)
    requests.update(status=WaitlistStatus.WITHDRAWN, closed_at=now)


def _close_open_offers(offers: QuerySet[WaitlistOffer], now: datetime) -> None:
    """Close these offers where still open (as declined: the patient no longer
    needs them) and pass their times on after the transaction commits."""
    still_open = offers.filter(status=OfferStatus.OPEN)
    freed_ids = list(still_open.values_list("freed_appointment_id", flat=True))
    still_open.update(status=OfferStatus.DECLINED, answered_at=now)
    offer_freed_times_later(freed_ids)


def expire_offers(*, now: datetime) -> int:
    """Close every lapsed offer and pass its time to the next in line; returns
    how many expired. Run it every few minutes (`manage.py expire_waitlist_offers`)."""
    lapsed = WaitlistOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now)
    freed_ids = set(lapsed.values_list("freed_appointment_id", flat=True))
    count = lapsed.update(status=OfferStatus.EXPIRED, answered_at=now)
    offer_freed_times(freed_ids, now=now)
    return count


def _close(offer: WaitlistOffer, status: OfferStatus, now: datetime) -> None:
    offer.status = status
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])


def is_open(offer: WaitlistOffer, now: datetime) -> bool:
    return offer.status == OfferStatus.OPEN and offer.expires_at > now


# ------------------------------------------------------------------- links and sending


def offer_token(offer: WaitlistOffer) -> str:
    """The signed part of the offer's link (the offer's id, signed; no details)."""
    return signing.dumps(offer.pk, salt=LINK_SALT)


def offer_from_token(token: str) -> WaitlistOffer | None:
    """The offer a link names, when its signature holds; None otherwise. The
    offer's own status and expiry still decide whether it can be accepted."""
    try:
        pk = signing.loads(token, salt=LINK_SALT, max_age=OFFER_TTL * 2)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return (
        WaitlistOffer.objects.select_related(
            "clinic", "request__appointment__location", "practitioner", "room"
        )
        .filter(pk=pk)
        .first()
    )


def offer_url(offer: WaitlistOffer) -> str:
    return settings.SKINTERVAL_BASE_URL + reverse(
        "waitlist:offer", args=[offer_token(offer)]
    )
