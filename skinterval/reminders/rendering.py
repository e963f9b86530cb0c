"""The words of each message, in the clinic's language and time zone.

Subject lines name the clinic and nothing about treatment ("Your appointment at
Harbour Skin Clinic"); aftercare advice and anything clinical is only in the
body. Text messages are one or two sentences with a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from skinterval.domain import wallclock
from skinterval.domain.messaging import advice_on
from skinterval.reminders import links
from skinterval.reminders.models import MessageKind, OutboxMessage


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    sms: str


TEMPLATES = {
    MessageKind.BOOKING_CONFIRMATION: "reminders/email/appointment.txt",
    MessageKind.APPOINTMENT_REMINDER: "reminders/email/appointment.txt",
    MessageKind.AFTERCARE: "reminders/email/aftercare.txt",
    MessageKind.CHECK_IN_REQUEST: "reminders/email/check_in.txt",
    MessageKind.WINDOW_OPENS: "reminders/email/window.txt",
    MessageKind.WINDOW_CLOSING: "reminders/email/window.txt",
    MessageKind.REVIEW_VISIT: "reminders/email/recall.txt",
    MessageKind.MAINTENANCE_RECALL: "reminders/email/recall.txt",
    MessageKind.WAITLIST_OFFER: "reminders/email/waitlist_offer.txt",
}


# "Tuesday 12 January 2027", "14:00": names of days and months are translated.
DAY_FORMAT = "l j F Y"
TIME_FORMAT = "H:i"


def _day(value: date) -> str:
    return formats.date_format(value, DAY_FORMAT)


def _moment(value: datetime, row: OutboxMessage) -> tuple[str, str]:
    local = wallclock.to_local(value, row.clinic.zone)
    return _day(local.date()), formats.time_format(local.time(), TIME_FORMAT)


def subject_for(row: OutboxMessage) -> str:
    clinic = row.clinic.name
    if row.kind in (
        MessageKind.BOOKING_CONFIRMATION,
        MessageKind.APPOINTMENT_REMINDER,
    ):
        return _("Your appointment at %(clinic)s") % {"clinic": clinic}
    if row.kind in (
        MessageKind.WINDOW_OPENS,
        MessageKind.WINDOW_CLOSING,
        MessageKind.REVIEW_VISIT,
        MessageKind.MAINTENANCE_RECALL,
    ):
        return _("Time to book your next visit at %(clinic)s") % {"clinic": clinic}
    if row.kind == MessageKind.WAITLIST_OFFER:
        return _("An earlier appointment time at %(clinic)s") % {"clinic": clinic}
    return _("A message from %(clinic)s") % {"clinic": clinic}


def _context(row: OutboxMessage) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "kind": row.kind,
        "clinic": row.clinic.name,
        "given_name": row.patient.given_name,
        "portal_url": links.portal_url(),
        "booking_url": links.booking_url(row.context.get("session")),
        "check_in_url": links.check_in_url(row.appointment_id),
        "aftercare_url": links.aftercare_url(),
        "unsubscribe_url": links.unsubscribe_url(row.pk),
        **row.context,
    }
    appointment = row.appointment
    if appointment is not None:
        ctx["date"], ctx["time"] = _moment(appointment.starts_at, row)
        ctx["location"] = appointment.location.name
        ctx["address"] = appointment.location.address
    if row.kind == MessageKind.AFTERCARE and row.plan is not None:
        from skinterval.reminders.services import plan_advice

        day = int(row.context.get("day", 0))
        ctx["advice"] = [a.text for a in advice_on(plan_advice(row.plan), day)]
    offer = row.waitlist_offer
    if offer is not None:
        from skinterval.appointments.waitlist import offer_url

        ctx["offer_date"], ctx["offer_time"] = _moment(offer.starts_at, row)
        ctx["until_date"], ctx["until_time"] = _moment(offer.expires_at, row)
        ctx["accept_url"] = offer_url(offer)
    for key in ("earliest_on", "latest_on", "visit_on"):
        if key in row.context:
            ctx[key] = _day(date.fromisoformat(row.context[key]))
    return ctx


def _sms(row: OutboxMessage, ctx: dict[str, Any]) -> str:
    if row.kind == MessageKind.BOOKING_CONFIRMATION:
        text = _("%(clinic)s: your appointment is booked for %(date)s at %(time)s.")
    elif row.kind == MessageKind.APPOINTMENT_REMINDER:
        text = _("%(clinic)s: a reminder of your appointment on %(date)s at %(time)s.")
    elif row.kind == MessageKind.WINDOW_OPENS:
        text = _("%(clinic)s: you can now book your next visit: %(booking_url)s")
    elif row.kind == MessageKind.WINDOW_CLOSING:
        text = _(
            "%(clinic)s: please book your next visit by %(latest_on)s: %(booking_url)s"
        )
    elif row.kind in (MessageKind.REVIEW_VISIT, MessageKind.MAINTENANCE_RECALL):
        text = _("%(clinic)s: time to book your next visit: %(booking_url)s")
    elif row.kind == MessageKind.WAITLIST_OFFER:
        text = _(
            "%(clinic)s: an earlier time is free, %(offer_date)s at %(offer_time)s."
            " To take it, open before %(until_time)s: %(accept_url)s"
        )
    elif row.kind == MessageKind.CHECK_IN_REQUEST:
        text = _("%(clinic)s: please tell us how you are doing: %(check_in_url)s")
    else:
        text = _("%(clinic)s: your aftercare advice for today: %(aftercare_url)s")
    return text % ctx


def render(row: OutboxMessage, language: str) -> Rendered:
    """The message a row stands for, from the appointment or plan as they are
    now (the caller has checked that they still say the same)."""
    with translation.override(language):
        ctx = _context(row)
        body = render_to_string(TEMPLATES[MessageKind(row.kind)], ctx)
        return Rendered(
            subject=subject_for(row), body=body.strip() + "\n", sms=_sms(row, ctx)
        )
