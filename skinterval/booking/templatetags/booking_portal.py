"""The portal's calendar feed and waitlist section (`portal/_calendar_feed.html`)
loads its own data, so that the portal view needs no change for it."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404
from django.utils import timezone

from skinterval.appointments.feeds import active_feed
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
    WaitlistRequest,
    WaitlistStatus,
)
from skinterval.patients.queries import own_patient_record

register = template.Library()


@register.simple_tag
def portal_calendar_and_waitlist(user: Any) -> dict[str, Any]:
    """The patient's active feed, booked appointments to come (each with its open
    waitlist request) and open offers; empty for anyone who is not a patient."""
    try:
        patient = own_patient_record(user)
    except Http404:
        return {}
    now = timezone.now()
    upcoming = list(
        Appointment.objects.filter(
            patient=patient, status=AppointmentStatus.BOOKED, starts_at__gt=now
        ).order_by("starts_at")[:10]
    )
    waiting = {
        r.appointment_id: r
        for r in WaitlistRequest.objects.filter(
            patient=patient, status=WaitlistStatus.OPEN
        )
    }
    offers = list(
        WaitlistOffer.objects.filter(
            request__patient=patient, status=OfferStatus.OPEN, expires_at__gt=now
        ).order_by("starts_at")
    )
    return {
        "patient": patient,
        "feed": active_feed(patient),
        "upcoming": [
            {"appointment": a, "waiting": waiting.get(a.pk)} for a in upcoming
        ],
        "offers": offers,
    }


@register.simple_tag
def open_waitlist_request(appointment: Appointment) -> WaitlistRequest | None:
    """The appointment's open waitlist request, if any (staff appointment page)."""
    return WaitlistRequest.objects.filter(
        appointment=appointment, status=WaitlistStatus.OPEN
    ).first()
