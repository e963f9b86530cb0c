"""The patient's own appointments: book a planned session inside its window,
move it inside its window, cancel; moving and cancelling only before the
clinic's notice period (portal/services.py)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from skinterval.appointments.errors import BookingError
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.queries import (
    SlotOption,
    slots_for_plan_session,
    slots_to_move,
)
from skinterval.clinics.decorators import patient_required
from skinterval.outcomes.queries import active_hold
from skinterval.patients.models import Patient
from skinterval.patients.queries import own_patient_record
from skinterval.plans.models import PlanSession
from skinterval.portal.forms import DayForm
from skinterval.portal.pages import local_words, render_page
from skinterval.portal.queries import (
    approved_plan,
    local_today,
    own_appointment,
    own_appointments,
    own_plan_session,
    portal_policy,
    session_rows,
    session_service,
    slots_on_day,
)
from skinterval.portal.services import (
    PortalRefused,
    book_own_session,
    cancel_own_appointment,
    held_message,
    late_change_message,
    move_own_appointment,
    read_choice,
    sign_choice,
)

OPTIONS = 6


@patient_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    plan = approved_plan(patient)
    now = timezone.now()
    rows = (
        session_rows(
            plan,
            today=local_today(patient, now),
            now=now,
            policy=portal_policy(patient),
        )
        if plan
        else []
    )
    planned = {row.appointment.pk for row in rows if row.appointment}
    return render_page(
        request,
        "appointments.html",
        patient,
        "appointments",
        plan=plan,
        rows=rows,
        others=[a for a in own_appointments(patient) if a.pk not in planned],
        now=now,
    )


def _fit(option: SlotOption) -> str:
    days = abs(option.slot.fit.days_from_target)
    if days == 0:
        return _("Your plan's target day")
    return ngettext(
        "%(n)d day from your plan's target day",
        "%(n)d days from your plan's target day",
        days,
    ) % {"n": days}


def _choose_time(
    request: HttpRequest,
    patient: Patient,
    *,
    session: PlanSession,
    target: str,
    best: list[SlotOption],
    exclude_appointment_id: int | None,
    heading: str,
    appointment: Appointment | None = None,
    refusal: str = "",
) -> HttpResponse:
    """The page listing times inside the window, or on a day the patient picks."""
    now = timezone.now()
    day_form = DayForm(request.GET if "on" in request.GET else None, session=session)
    options = best
    picked_day: date | None = None
    service = session_service(patient.clinic_id)
    if day_form.is_bound and day_form.is_valid() and service is not None:
        picked_day = day_form.cleaned_data["on"]
        options = slots_on_day(
            session,
            service,
            picked_day,
            now=now,
            exclude_appointment_id=exclude_appointment_id,
        )
    return render_page(
        request,
        "choose_time.html",
        patient,
        "appointments",
        status=422 if day_form.is_bound and day_form.errors else 200,
        heading=heading,
        session=session,
        appointment=appointment,
        refusal=refusal,
        day_form=day_form,
        picked_day=picked_day,
        options=[(o, sign_choice(o, target=target), _fit(o)) for o in options],
    )


@patient_required
def book_session(request: HttpRequest, number: int) -> HttpResponse:
    """Book a session of the approved plan at a time inside its window."""
    patient = own_patient_record(request.user)
    session = own_plan_session(patient, number)
    target = f"s{session.pk}"
    now = timezone.now()
    if request.method == "POST":
        choice = read_choice(
            request.POST.get("choice", ""), target=target, clinic_id=patient.clinic_id
        )
        if choice is None:
            messages.error(
                request, _("That time is no longer offered; please pick again.")
            )
            return redirect("portal:book", number=number)
        try:
            booked = book_own_session(
                patient=patient, plan_session=session, choice=choice, now=now
            )
        except (PortalRefused, BookingError) as exc:
            messages.error(request, exc.message)
            return redirect("portal:book", number=number)
        messages.success(
            request,
            _("Session %(n)d is booked for %(when)s.")
            % {"n": number, "when": local_words(booked)},
        )
        return redirect("portal:appointments")
    existing = session.appointments.exclude(status=AppointmentStatus.CANCELLED).first()
    if existing is not None:
        return redirect("portal:move", appointment_id=existing.pk)
    service = session_service(patient.clinic_id)
    hold = active_hold(session)
    refusal = held_message(session) if hold else ""
    if not refusal and service is None:
        refusal = _("The clinic does not take online bookings for sessions yet.")
    best = (
        slots_for_plan_session(
            plan_session=session,
            service=service,
            now=now,
            limit=OPTIONS,
            per_day_limit=2,
        )
        if not refusal and service is not None
        else []
    )
    return _choose_time(
        request,
        patient,
        session=session,
        target=target,
        best=best,
        exclude_appointment_id=None,
        heading=_("Book session %(n)d") % {"n": number},
        refusal=refusal,
    )


def _change_refusal(patient: Patient, appointment: Appointment, now: datetime) -> str:
    """Why the patient cannot change this appointment online, or ""."""
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.HELD):
        return _("Only upcoming appointments can be changed.")
    policy = portal_policy(patient)
    if not policy.allows_change(appointment.starts_at, now):
        return late_change_message(policy)
    return ""


@patient_required
def move_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Move a booked session to another time inside its window."""
    patient = own_patient_record(request.user)
    appointment = own_appointment(patient, appointment_id)
    session = appointment.plan_session
    if session is None:
        raise Http404("Only planned sessions are moved online.")
    target = f"a{appointment.pk}"
    now = timezone.now()
    if request.method == "POST":
        choice = read_choice(
            request.POST.get("choice", ""), target=target, clinic_id=patient.clinic_id
        )
        if choice is None:
            messages.error(
                request, _("That time is no longer offered; please pick again.")
            )
            return redirect("portal:move", appointment_id=appointment.pk)
        try:
            moved = move_own_appointment(
                patient=patient, appointment=appointment, choice=choice, now=now
            )
        except (PortalRefused, BookingError) as exc:
            messages.error(request, exc.message)
            return redirect("portal:move", appointment_id=appointment.pk)
        messages.success(
            request,
            _("Session %(n)d is moved to %(when)s.")
            % {"n": session.number, "when": local_words(moved)},
        )
        return redirect("portal:appointments")
    refusal = _change_refusal(patient, appointment, now)
    if not refusal and active_hold(session) is not None:
        refusal = held_message(session)
    best = [] if refusal else slots_to_move(appointment, now=now, limit=OPTIONS)
    return _choose_time(
        request,
        patient,
        session=session,
        target=target,
        best=best,
        exclude_appointment_id=appointment.pk,
        heading=_("Move session %(n)d") % {"n": session.number},
        appointment=appointment,
        refusal=refusal,
    )


@patient_required
def cancel_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Confirm, then cancel; refused inside the clinic's notice period."""
    patient = own_patient_record(request.user)
    appointment = own_appointment(patient, appointment_id)
    now = timezone.now()
    refusal = _change_refusal(patient, appointment, now)
    if request.method == "POST" and not refusal:
        try:
            cancel_own_appointment(patient=patient, appointment=appointment, now=now)
        except (PortalRefused, BookingError) as exc:
            refusal = exc.message
        else:
            messages.success(request, _("Your appointment is cancelled."))
            return redirect("portal:appointments")
    return render_page(
        request,
        "cancel.html",
        patient,
        "appointments",
        status=422 if request.method == "POST" and refusal else 200,
        appointment=appointment,
        refusal=refusal,
        when=local_words(appointment),
    )
