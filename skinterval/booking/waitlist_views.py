"""Waitlist pages: the offer link from the email (no login), and the portal's and
front desk's buttons. Objects are loaded through the permission-checked loaders;
another patient's or clinic's request, appointment or offer is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.appointments.models import WaitlistOffer, WaitlistRequest
from skinterval.appointments.queries import get_appointment_for_user
from skinterval.appointments.waitlist import (
    WaitlistError,
    accept_offer,
    decline_offer,
    is_open,
    offer_from_token,
    request_earlier_time,
    withdraw_request,
)
from skinterval.booking import ratelimit
from skinterval.clinics.decorators import patient_required, staff_required
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.patients.queries import own_patient_record

PORTAL_SECTION = "#earlier-times"


def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the offer email: the time offered and Accept / No thanks."""
    if ratelimit.check(request, ratelimit.OFFER) is not None:
        return render(request, "booking/limited.html", {"minutes": 60}, status=429)
    found = offer_from_token(token)
    if found is None:
        raise Http404("No such offer.")
    now = timezone.now()
    error = ""
    outcome = ""
    if request.method == "POST":
        try:
            if "accept" in request.POST:
                accept_offer(offer=found, now=now)
                outcome = "accepted"
            else:
                decline_offer(offer=found, now=now)
                outcome = "declined"
        except WaitlistError as exc:
            error = exc.message
        found.refresh_from_db()
    clinic = found.clinic
    current = found.request.appointment
    response = render(
        request,
        "booking/offer.html",
        {
            "offer": found,
            "clinic": clinic,
            "starts_local": wallclock.to_local(found.starts_at, clinic.zone),
            "expires_local": wallclock.to_local(found.expires_at, clinic.zone),
            "current_local": wallclock.to_local(current.starts_at, clinic.zone),
            "location": current.location,
            "open": is_open(found, now),
            "error": error,
            "outcome": outcome,
        },
        status=409 if error else 200,
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@patient_required
def portal_request(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The patient asks for an earlier time for one of their appointments."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    try:
        request_earlier_time(appointment=appointment, now=timezone.now())
    except WaitlistError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("We will tell you by email when an earlier time comes free.")
        )
    return redirect(reverse("portal:home") + PORTAL_SECTION)


@require_POST
@patient_required
def portal_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    patient = own_patient_record(request.user)
    found = WaitlistRequest.objects.filter(patient=patient, pk=request_id).first()
    if found is None:
        raise Http404("No such request.")
    withdraw_request(request=found, now=timezone.now())
    messages.success(request, _("You are no longer waiting for an earlier time."))
    return redirect(reverse("portal:home") + PORTAL_SECTION)


@require_POST
@patient_required
def portal_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    patient = own_patient_record(request.user)
    found = WaitlistOffer.objects.filter(request__patient=patient, pk=offer_id).first()
    if found is None:
        raise Http404("No such offer.")
    try:
        accept_offer(offer=found, now=timezone.now())
    except WaitlistError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your appointment has been moved to the earlier time.")
        )
    return redirect(reverse("portal:home") + PORTAL_SECTION)


@require_POST
@staff_required()
def staff_request(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The front desk puts a patient's appointment on the waitlist."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    member = require_staff(request.user)
    try:
        request_earlier_time(
            appointment=appointment, now=timezone.now(), created_by=member
        )
    except WaitlistError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Added to the waitlist for an earlier time."))
    return redirect("appointments:detail", appointment_id=appointment.pk)
