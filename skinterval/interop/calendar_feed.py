"""Appointment rows as calendar events (the Django side of `interop.ical`).

Event text never names the service, the patient or anything clinical: "Clinic
appointment" with the clinic's name, and the location's name and address. The
UID is the appointment's id, so the confirmation email's event and the feed's
event are the same event in the patient's calendar; SEQUENCE is
`Appointment.sequence`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.interop.ical import CalendarEvent, calendar_bytes
from skinterval.patients.models import Patient

# Holds that lapsed or were given back were never in anybody's calendar.
HOLD_REASONS = ("hold expired", "hold released")
# How far back the feed goes; cancelled events stay that long so that calendars
# that saw them remove them.
FEED_PAST = timedelta(days=90)


def appointment_uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@skinterval"


def appointment_event(appointment: Appointment, *, url: str = "") -> CalendarEvent:
    clinic = appointment.clinic
    location = appointment.location
    where = ", ".join(
        p for p in (location.name, " ".join(location.address.split())) if p
    )
    return CalendarEvent(
        uid=appointment_uid(appointment),
        sequence=appointment.sequence,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        stamped_at=appointment.updated_at,
        summary=_("Clinic appointment: %(clinic)s") % {"clinic": clinic.name},
        location=where,
        url=url,
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )


def feed_appointments(patient: Patient, *, now: datetime) -> list[Appointment]:
    """The patient's appointments for the feed: from 90 days ago on, booked or
    cancelled after being booked (never a hold)."""
    return list(
        Appointment.objects.filter(patient=patient, starts_at__gte=now - FEED_PAST)
        .exclude(status=AppointmentStatus.HELD)
        .exclude(
            status=AppointmentStatus.CANCELLED, cancellation_reason__in=HOLD_REASONS
        )
        .select_related("clinic", "location")
        .order_by("starts_at", "pk")
    )


def patient_calendar(patient: Patient, *, now: datetime, url: str = "") -> bytes:
    events = [
        appointment_event(a, url=url) for a in feed_appointments(patient, now=now)
    ]
    return calendar_bytes(events, name=patient.clinic.name)


def appointment_ics(appointment: Appointment, *, url: str = "") -> bytes:
    """One appointment as an `.ics` file (the confirmation email's attachment)."""
    return calendar_bytes(
        [appointment_event(appointment, url=url)], name=appointment.clinic.name
    )
