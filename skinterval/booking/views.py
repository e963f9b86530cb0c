"""The public consultation booking pages (no login) and the staff intake page.

Steps, at /book/<clinic slug>/: choose the consultation, place and practitioner
and a free time → contact details (the patient is registered and the time held)
→ intake questionnaire (answers kept; the held time booked) → done, with an
email and its `.ics`. The visitor's progress is kept in their session (ids only),
never in the address. A lost race sends the visitor back to the free times with
"that time was just taken"; what they typed is kept.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from skinterval.appointments.errors import BookingError
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.booking import ratelimit
from skinterval.booking.forms import ANY, ChoiceForm, ContactForm, IntakeForm, PickForm
from skinterval.booking.models import BookingPage, IntakeResponse
from skinterval.booking.queries import (
    DAYS_SHOWN,
    bookable_practitioners,
    booking_range,
    clinic_locations,
    consultation_services,
    free_days,
    free_options,
    get_booking_page,
    get_intake_for_user,
)
from skinterval.booking.services import (
    confirm_public_booking,
    hold_public_slot,
    minutes_left,
    record_intake,
    refuses_online,
    register_patient,
    release_public_hold,
)
from skinterval.clinics.decorators import staff_required
from skinterval.domain import wallclock
from skinterval.patients.models import Patient

logger = logging.getLogger(__name__)
SESSION_KEY = "skinterval.booking"


# --------------------------------------------------------------------------- state


class Progress:
    """The visitor's booking at one clinic, in their session: ids only."""

    def __init__(self, request: HttpRequest, page: BookingPage) -> None:
        self.request = request
        self.slug = page.clinic.slug
        store = request.session.get(SESSION_KEY, {})
        self.data: dict[str, Any] = dict(store.get(self.slug, {}))

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, **values: Any) -> None:
        self.data.update(values)
        self._save()

    def drop(self, *keys: str) -> None:
        for key in keys:
            self.data.pop(key, None)
        self._save()

    def _save(self) -> None:
        store = dict(self.request.session.get(SESSION_KEY, {}))
        store[self.slug] = self.data
        self.request.session[SESSION_KEY] = store

    def patient(self, page: BookingPage) -> Patient | None:
        pk = self.get("patient")
        if not pk:
            return None
        return Patient.objects.filter(clinic=page.clinic, pk=pk).first()

    def appointment(self, page: BookingPage) -> Appointment | None:
        pk, patient = self.get("appointment"), self.get("patient")
        if not pk or not patient:
            return None
        return (
            Appointment.objects.select_related(
                "clinic", "location", "practitioner", "service_type", "patient"
            )
            .filter(clinic=page.clinic, patient_id=patient, pk=pk)
            .first()
        )


def _limited(
    request: HttpRequest, page: BookingPage, limit: ratelimit.Limit
) -> HttpResponse | None:
    wait_s = ratelimit.check(request, limit)
    if wait_s is None:
        return None
    response = render(
        request,
        "booking/limited.html",
        {"clinic": page.clinic, "minutes": max(1, -(-wait_s // 60))},
        status=429,
    )
    response["Retry-After"] = str(wait_s)
    return response


def _choice_form(page: BookingPage, data: Any, today: date) -> ChoiceForm:
    clinic = page.clinic
    return ChoiceForm(
        data,
        services=consultation_services(clinic),
        locations=clinic_locations(clinic),
        practitioners=bookable_practitioners(clinic, today),
    )


def _pick_form(page: BookingPage, data: Any, today: date) -> PickForm:
    clinic = page.clinic
    return PickForm(
        data,
        services=consultation_services(clinic),
        locations=clinic_locations(clinic),
        practitioners=bookable_practitioners(clinic, today),
    )


def _start_url(page: BookingPage, choice: dict[str, Any] | None = None) -> str:
    url = reverse("booking:start", args=[page.clinic.slug])
    if choice:
        return f"{url}?{urlencode(choice)}#times"
    return url


def _choice_params(cleaned: dict[str, Any], week: date | None = None) -> dict[str, Any]:
    params = {
        "service": cleaned["service"].pk,
        "location": cleaned["location"].pk,
        "practitioner": cleaned.get("practitioner") or ANY,
    }
    if week is not None:
        params["week"] = week.isoformat()
    return params


# --------------------------------------------------------------------------- pages


def start(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """Choose the consultation and a free time (GET); a chosen time (POST)."""
    page = get_booking_page(clinic_slug)
    if request.method == "POST":
        return _pick(request, page)
    limited = _limited(request, page, ratelimit.SEARCH)
    if limited:
        return limited
    now = timezone.now()
    clinic = page.clinic
    zone = clinic.zone
    _not_before, first_bookable, last_bookable = booking_range(page, now)
    services = consultation_services(clinic)
    locations = clinic_locations(clinic)
    initial = {
        "service": request.GET.get("service") or (services[0].pk if services else ""),
        "location": request.GET.get("location")
        or (locations[0].pk if locations else ""),
        "practitioner": request.GET.get("practitioner") or ANY,
        "week": request.GET.get("week") or "",
    }
    form = _choice_form(page, initial, wallclock.local_date(now, zone))
    days: list[Any] = []
    week = first_bookable
    if form.is_valid():
        week = min(
            max(form.cleaned_data.get("week") or first_bookable, first_bookable),
            last_bookable,
        )
        options = free_options(
            page,
            service=form.cleaned_data["service"],
            location=form.cleaned_data["location"],
            practitioner=form.chosen_practitioner(),
            first_on=week,
            last_on=week + timedelta(days=DAYS_SHOWN - 1),
            now=now,
        )
        days = free_days(options, zone)
    earlier = week - timedelta(days=DAYS_SHOWN)
    later = week + timedelta(days=DAYS_SHOWN)
    params = _choice_params(form.cleaned_data) if form.is_valid() else {}
    return render(
        request,
        "booking/start.html",
        {
            "page": page,
            "clinic": clinic,
            "form": form,
            "searched": form.is_valid(),
            "days": days,
            "week": week,
            "week_end": week + timedelta(days=DAYS_SHOWN - 1),
            "earlier_url": _start_url(page, {**params, "week": earlier.isoformat()})
            if params and week > first_bookable
            else "",
            "later_url": _start_url(page, {**params, "week": later.isoformat()})
            if params and later <= last_bookable
            else "",
            "params": params,
            "has_services": services.exists(),
        },
        status=422 if request.GET and not form.is_valid() else 200,
    )


def _pick(request: HttpRequest, page: BookingPage) -> HttpResponse:
    limited = _limited(request, page, ratelimit.HOLD)
    if limited:
        return limited
    now = timezone.now()
    form = _pick_form(page, request.POST, wallclock.local_date(now, page.clinic.zone))
    if not form.is_valid():
        messages.error(request, _("That choice is no longer valid; please pick again."))
        return redirect(_start_url(page))
    progress = Progress(request, page)
    choice = _choice_params(form.cleaned_data)
    pick = {**choice, "start": form.cleaned_data["start"].isoformat()}
    patient = progress.patient(page)
    if patient is None:
        progress.set(pick=pick)
        return redirect("booking:details", clinic_slug=page.clinic.slug)
    # Back after a lost race: the details are known, hold the new time at once.
    progress.set(pick=pick)
    choice = {**form.cleaned_data, "practitioner_row": form.chosen_practitioner()}
    return _hold_and_continue(request, page, progress, patient, choice)


def _hold_and_continue(
    request: HttpRequest,
    page: BookingPage,
    progress: Progress,
    patient: Patient,
    choice: dict[str, Any],
) -> HttpResponse:
    """Hold the picked time for the patient (booking it at once when the
    questionnaire is already answered) and go on to the next step."""
    now = timezone.now()
    previous = progress.appointment(page)
    intake = _intake(progress, patient)
    starts_at = choice["start"]
    if previous is not None and previous.status == AppointmentStatus.HELD:
        if previous.starts_at == starts_at:
            return redirect("booking:questions", clinic_slug=page.clinic.slug)
        release_public_hold(appointment=previous, now=now)
    practitioner = choice.get("practitioner_row")
    try:
        appointment = hold_public_slot(
            page=page,
            patient=patient,
            service=choice["service"],
            location=choice["location"],
            practitioner=practitioner,
            starts_at=starts_at,
            now=now,
            hold=intake is None,
        )
    except BookingError:
        return _taken(request, page, progress, choice)
    progress.set(appointment=appointment.pk)
    progress.drop("pick")
    if intake is None:
        return redirect("booking:questions", clinic_slug=page.clinic.slug)
    intake.appointment = appointment
    intake.save(update_fields=["appointment"])
    return _finish(request, page, progress, appointment)


def _taken(
    request: HttpRequest,
    page: BookingPage,
    progress: Progress,
    choice: dict[str, Any],
) -> HttpResponse:
    messages.error(
        request, _("That time was just taken. Please choose another time below.")
    )
    progress.drop("pick")
    day = wallclock.local_date(choice["start"], page.clinic.zone)
    return redirect(_start_url(page, _choice_params(choice, week=day)))


def _intake(progress: Progress, patient: Patient) -> IntakeResponse | None:
    pk = progress.get("intake")
    if not pk:
        return None
    return IntakeResponse.objects.filter(patient=patient, pk=pk).first()


def _picked(page: BookingPage, progress: Progress, today: date) -> PickForm | None:
    pick = progress.get("pick")
    if not pick:
        return None
    form = _pick_form(page, pick, today)
    return form if form.is_valid() else None


def details(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """Contact details. Sending them registers the patient and holds the time."""
    page = get_booking_page(clinic_slug)
    progress = Progress(request, page)
    now = timezone.now()
    zone = page.clinic.zone
    today = wallclock.local_date(now, zone)
    picked = _picked(page, progress, today)
    patient = progress.patient(page)
    if picked is None:
        if patient is not None and progress.appointment(page) is not None:
            return redirect("booking:questions", clinic_slug=clinic_slug)
        messages.info(request, _("Please choose a time first."))
        return redirect(_start_url(page))
    form = ContactForm(request.POST or None, today=today)
    if request.method == "POST":
        limited = _limited(request, page, ratelimit.HOLD)
        if limited:
            return limited
        if form.is_valid():
            if patient is None:
                patient = register_patient(clinic=page.clinic, **_contact(form))
                progress.set(patient=str(patient.pk))
            choice = {
                **picked.cleaned_data,
                "practitioner_row": picked.chosen_practitioner(),
            }
            return _hold_and_continue(request, page, progress, patient, choice)
    return render(
        request,
        "booking/details.html",
        {
            "page": page,
            "clinic": page.clinic,
            "form": form,
            "picked": _describe_pick(picked),
            "step": 2,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _contact(form: ContactForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "given_name": d["given_name"],
        "family_name": d["family_name"],
        "born_on": d["born_on"],
        "email": d["email"],
        "phone": d["phone"],
    }


def _describe_pick(picked: PickForm) -> dict[str, Any]:
    d = picked.cleaned_data
    return {
        "start": d["start"],
        "service": d["service"],
        "location": d["location"],
        "practitioner": picked.chosen_practitioner(),
    }


def questions(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """The intake questionnaire, while the time is held. Sending it keeps the
    answers and books the time."""
    page = get_booking_page(clinic_slug)
    progress = Progress(request, page)
    patient = progress.patient(page)
    appointment = progress.appointment(page)
    if patient is None or appointment is None:
        if progress.get("done"):  # sent twice: it is booked already
            return redirect("booking:done", clinic_slug=clinic_slug)
        messages.info(request, _("Please choose a time first."))
        return redirect(_start_url(page))
    now = timezone.now()
    today = wallclock.local_date(now, page.clinic.zone)
    form = IntakeForm(request.POST or None, today=today, born_on=patient.born_on)
    if request.method == "POST":
        limited = _limited(request, page, ratelimit.SUBMIT)
        if limited:
            return limited
        if form.is_valid():
            intake = _intake(progress, patient) or record_intake(
                patient=patient,
                answers=form.answers(),
                now=now,
                appointment=appointment,
            )
            progress.set(intake=intake.pk)
            if refuses_online(page, intake):
                release_public_hold(appointment=appointment, now=now)
                progress.drop("appointment", "pick")
                return render(
                    request,
                    "booking/refused.html",
                    {"page": page, "clinic": page.clinic},
                )
            return _finish(request, page, progress, appointment)
    return render(
        request,
        "booking/questions.html",
        {
            "page": page,
            "clinic": page.clinic,
            "form": form,
            "appointment": appointment,
            "minutes_left": minutes_left(appointment, now),
            "step": 3,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _finish(
    request: HttpRequest,
    page: BookingPage,
    progress: Progress,
    appointment: Appointment,
) -> HttpResponse:
    now = timezone.now()
    try:
        booked = confirm_public_booking(appointment=appointment, now=now)
    except BookingError:
        choice = {
            "service": appointment.service_type,
            "location": appointment.location,
            "practitioner": ANY,
            "start": appointment.starts_at,
        }
        return _taken(request, page, progress, choice)
    intake = _intake(progress, booked.patient)
    if intake is not None and intake.appointment_id != booked.pk:
        intake.appointment = booked
        intake.save(update_fields=["appointment"])
    # The confirmation (with the .ics) goes out through the outbox, written in the
    # booking's transaction (skinterval/reminders): one email, sent reliably.
    sent = bool(booked.patient.email)
    # A new booking from this browser starts afresh (it may be someone else).
    progress.data = {"done": booked.pk, "done_patient": str(booked.patient_id)}
    progress.set(sent=sent)
    return redirect("booking:done", clinic_slug=page.clinic.slug)


def done(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    page = get_booking_page(clinic_slug)
    progress = Progress(request, page)
    pk, patient = progress.get("done"), progress.get("done_patient")
    appointment = (
        Appointment.objects.select_related("location", "practitioner", "service_type")
        .filter(clinic=page.clinic, pk=pk or 0, patient_id=patient)
        .first()
        if pk and patient
        else None
    )
    if appointment is None:
        return redirect(_start_url(page))
    return render(
        request,
        "booking/done.html",
        {
            "page": page,
            "clinic": page.clinic,
            "appointment": appointment,
            "sent": progress.get("sent"),
            "step": 4,
        },
    )


# --------------------------------------------------------------------------- staff


@staff_required()
def intake_detail(request: HttpRequest, intake_id: int) -> HttpResponse:
    """One intake questionnaire as the patient answered it, with the findings."""
    from skinterval.booking.summary import summarize_intake

    intake = get_intake_for_user(request.user, intake_id)
    return render(
        request,
        "booking/intake_detail.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "summary": summarize_intake(intake),
        },
    )
