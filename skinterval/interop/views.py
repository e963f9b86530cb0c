"""The patient's private calendar feed, and the portal's buttons to make or
turn it off."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from skinterval.appointments.feeds import (
    create_calendar_feed,
    feed_for_token,
    revoke_calendar_feed,
)
from skinterval.booking import ratelimit
from skinterval.clinics.decorators import patient_required
from skinterval.interop.calendar_feed import patient_calendar
from skinterval.patients.queries import own_patient_record

# Calendar programs poll; remember the last read at most this often (one write).
READ_STAMP_EVERY = timedelta(hours=1)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """`/feed/<token>.ics`: the patient's appointments as iCalendar. An unknown,
    wrong or turned-off token is a plain 404, the same for every case."""
    if ratelimit.check(request, ratelimit.FEED) is not None:
        return HttpResponse(status=429)
    feed = feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    if feed.last_read_at is None or now - feed.last_read_at > READ_STAMP_EVERY:
        feed.last_read_at = now
        feed.save(update_fields=["last_read_at"])
    body = patient_calendar(
        feed.patient,
        now=now,
        url=request.build_absolute_uri(reverse("portal:home")),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@patient_required
def create_feed(request: HttpRequest) -> HttpResponse:
    """Make a new calendar address (the old one stops working) and show it once."""
    patient = own_patient_record(request.user)
    _feed, token = create_calendar_feed(patient=patient, now=timezone.now())
    address = request.build_absolute_uri(reverse("feeds:ics", args=[token]))
    response = render(
        request,
        "portal/calendar_feed_created.html",
        {"patient": patient, "address": address},
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@patient_required
def revoke_feed(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    revoke_calendar_feed(patient=patient, now=timezone.now())
    return redirect(reverse("portal:home") + "#calendar-feed")
