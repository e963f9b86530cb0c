"""Consent on the clinic's tablet, and charting a session from its appointment."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.appointments.queries import get_appointment_for_user
from skinterval.charting import consent_texts
from skinterval.charting.forms import (
    AreaFormSet,
    ConsentForm,
    ScreeningForm,
    SessionForm,
    WithdrawForm,
)
from skinterval.charting.models import (
    HOLD_FIELDS,
    ChartStatus,
    ConsentKind,
    SessionChart,
)
from skinterval.charting.queries import (
    chart_of_appointment,
    consent_in_force,
    defaults_from_last,
    get_consent_for_user,
)
from skinterval.charting.services import (
    AreaEntry,
    ChartingRefused,
    DepthRefused,
    area_caps,
    chartable_plan,
    complete_session,
    sign_consent,
    start_session,
    withdraw_consent,
)
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.patients.queries import get_patient_for_user


@staff_required()
def consents(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The patient's consents: in force, withdrawn, replaced; sign or withdraw."""
    patient = get_patient_for_user(request.user, patient_id)
    return _render_consents(request, patient)


def _render_consents(
    request: HttpRequest,
    patient: Any,
    refused: tuple[int, WithdrawForm] | None = None,
) -> HttpResponse:
    """The consents page; `refused` is a withdrawal form sent back with its
    errors, shown again (with the reason as typed) under its consent."""
    rows = patient.consents.select_related("witnessed_by", "withdrawn_by").order_by(
        "kind", "-signed_at"
    )
    return render(
        request,
        "charting/consents.html",
        {
            "patient": patient,
            "kinds": [
                (kind, label, consent_in_force(patient, kind))
                for kind, label in ConsentKind.choices
            ],
            "history": rows,
            "withdraw_form": refused[1] if refused else WithdrawForm(),
            "withdraw_refused": refused[0] if refused else None,
        },
        status=422 if refused else 200,
    )


@staff_required()
def sign(request: HttpRequest, patient_id: uuid.UUID, kind: str) -> HttpResponse:
    """The page handed to the patient on the clinic's tablet."""
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user)
    text = consent_texts.CURRENT.get(kind)
    if text is None:
        raise Http404("No such consent.")
    form = ConsentForm(
        request.POST if request.method == "POST" else None, patient=patient, text=text
    )
    if form.is_valid():
        try:
            sign_consent(
                patient=patient,
                kind=kind,
                text_version=form.cleaned_data["text_version"],
                signed_name=form.cleaned_data["signed_name"],
                photo_scope=form.cleaned_data.get("photo_scope", ""),
                witnessed_by=member,
                now=timezone.now(),
            )
        except ChartingRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Consent signed and recorded."))
            return redirect(_after_signing(request, patient.pk))
    return render(
        request,
        "charting/sign.html",
        {"patient": patient, "text": text, "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


def _after_signing(request: HttpRequest, patient_id: uuid.UUID) -> str:
    """Back to the session being charted when signing started there (an id only;
    the chart page loads it through the permission checks), else the consents."""
    next_chart = request.GET.get("next_chart", "")
    if next_chart.isascii() and next_chart.isdigit() and len(next_chart) <= 18:
        return reverse("charting:chart", args=[int(next_chart)])
    return reverse("charting:consents", args=[patient_id])


@require_POST
@staff_required()
def withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = get_consent_for_user(request.user, consent_id)
    member = require_staff(request.user)
    form = WithdrawForm(request.POST)
    if not form.is_valid():  # shown again with the reason as typed and why
        return _render_consents(request, consent.patient, (consent.pk, form))
    try:
        withdraw_consent(
            consent=consent,
            withdrawn_by=member,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except ChartingRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawal recorded."))
    return redirect("charting:consents", patient_id=consent.patient_id)


@staff_required(StaffRole.PRACTITIONER)
def chart(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Safety re-check, then per-area charting, then completion."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    context: dict[str, Any] = {"appointment": appointment, "clinic": appointment.clinic}
    existing = chart_of_appointment(appointment, user=request.user)
    context["chart"] = existing
    if existing is not None and existing.status != ChartStatus.IN_PROGRESS:
        context["areas"] = existing.areas.select_related("device")
        return render(request, "charting/chart.html", context)
    try:
        plan = chartable_plan(appointment)
    except ChartingRefused as exc:
        context["refusal"] = exc.message
        return render(request, "charting/chart.html", context, status=409)
    context["plan"] = plan
    if existing is None:
        return _screening(request, appointment, member, context)
    return _charting(request, existing, member, context)


def _screening(
    request: HttpRequest, appointment: Any, member: Any, context: dict[str, Any]
) -> HttpResponse:
    consent = consent_in_force(appointment.patient, ConsentKind.MICRONEEDLING)
    context["consent"] = consent
    if consent is None:
        context["refusal"] = _(
            "No session starts without the patient's signed consent to "
            "micro-needling, and there is none in force."
        )
        context["needs_consent"] = True
        return render(request, "charting/chart.html", context, status=409)
    form = ScreeningForm(request.POST if request.method == "POST" else None)
    context["screening"] = form
    if form.is_valid():
        try:
            started = start_session(
                appointment=appointment,
                practitioner=member,
                answers={name: form.cleaned_data[name] for name in HOLD_FIELDS},
                notes=form.cleaned_data["check_in_notes"],
                now=timezone.now(),
            )
        except ChartingRefused as exc:
            form.add_error(None, exc.message)
        else:
            if started.status == ChartStatus.HELD:
                messages.error(request, _("Session held at the safety re-check."))
            return redirect("charting:chart", appointment_id=appointment.pk)
    return render(
        request,
        "charting/chart.html",
        context,
        status=422 if form.is_bound and form.errors else 200,
    )


def _charting(
    request: HttpRequest, chart: SessionChart, member: Any, context: dict[str, Any]
) -> HttpResponse:
    appointment = chart.appointment
    caps = area_caps(context["plan"])
    defaults = defaults_from_last(chart.patient)
    data = request.POST if request.method == "POST" else None
    form_kwargs = {"caps": caps, "clinic_id": chart.clinic_id}
    areas = AreaFormSet(
        data,
        prefix="areas",
        form_kwargs=form_kwargs,
        initial=[
            {
                "area": area,
                "device": appointment.device_id,
                **defaults["areas"].get(area, {}),
            }
            for area in caps
        ],
    )
    session = SessionForm(data, initial=defaults["session"])
    context.update({"areas_formset": areas, "session_form": session})
    if data is not None and areas.is_valid() and session.is_valid():
        entries = [
            AreaEntry(
                area=f.cleaned_data["area"],
                depth_mm=f.cleaned_data["depth_mm"],
                passes=f.cleaned_data["passes"],
                device=f.cleaned_data["device"],
                cartridge_lot=f.cleaned_data["cartridge_lot"],
            )
            for f in areas.forms
        ]
        try:
            complete_session(
                chart=chart,
                practitioner=member,
                areas=entries,
                now=timezone.now(),
                **session.cleaned_data,
            )
        except DepthRefused as exc:
            for f in areas.forms:
                reason = exc.reasons.get(f.cleaned_data["area"])
                if reason:
                    f.add_error("depth_mm", reason)
        except ChartingRefused as exc:
            session.add_error(None, exc.message)
        else:
            messages.success(request, _("Session charted and completed."))
            return redirect("appointments:detail", appointment_id=appointment.pk)
    failed = data is not None
    return render(
        request, "charting/chart.html", context, status=422 if failed else 200
    )
