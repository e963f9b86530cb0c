"""The patient portal: a patient's own record, nobody else's.

Every view is `patient_required` and loads the login's own record with
`own_patient_record`; ids in addresses are looked up among that patient's rows
only (portal/queries.py), so staff and other patients get 404.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.charting import consent_texts
from skinterval.charting.forms import ConsentForm
from skinterval.charting.models import ConsentKind, SignedVia
from skinterval.charting.queries import consent_in_force, patient_consents
from skinterval.charting.services import ChartingRefused, sign_consent
from skinterval.clinics.decorators import patient_required
from skinterval.domain import wallclock
from skinterval.outcomes.charts import score_progress
from skinterval.outcomes.models import CheckIn
from skinterval.outcomes.queries import open_closure_request
from skinterval.outcomes.queries import patient_check_ins as check_ins_of
from skinterval.outcomes.services import (
    OutcomeRefused,
    request_account_closure,
    submit_check_in,
)
from skinterval.patients.models import Patient
from skinterval.patients.queries import own_patient_record
from skinterval.portal.export import export_patient_data
from skinterval.portal.forms import CheckInForm, ClosureForm
from skinterval.portal.pages import local_words, render_page
from skinterval.portal.plain_language import (
    aftercare_for_day,
    aftercare_last_day,
    explain,
)
from skinterval.portal.progress import symptom_charts
from skinterval.portal.queries import (
    approved_plan,
    completed_sessions,
    local_today,
    own_appointment,
    own_appointments,
    portal_policy,
    session_rows,
)


def _aftercare_today(patient: Patient, now: datetime) -> dict[str, Any] | None:
    """The latest completed session, the day after it and its aftercare rows."""
    last = completed_sessions(patient).first()
    if last is None or last.plan_session is None:
        return None
    zone = patient.clinic.zone
    day = (
        wallclock.local_date(now, zone) - wallclock.local_date(last.starts_at, zone)
    ).days
    plan = last.plan_session.plan.plan
    return {
        "appointment": last,
        "session": last.plan_session,
        "day": day,
        "rows": aftercare_for_day(plan, day),
        "over": day > aftercare_last_day(plan),
    }


def _next_appointment(patient: Patient, now: datetime) -> Appointment | None:
    return (
        own_appointments(patient)
        .filter(starts_at__gte=now, status=AppointmentStatus.BOOKED)
        .first()
    )


@patient_required
def portal_home(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    now = timezone.now()
    plan = approved_plan(patient)
    return render_page(
        request,
        "portal_home.html",
        patient,
        "home",
        plan=plan,
        headline=explain(plan.plan).headline if plan else "",
        next_appointment=_next_appointment(patient, now),
        aftercare=_aftercare_today(patient, now),
        needs_consent=plan is not None
        and consent_in_force(patient, ConsentKind.MICRONEEDLING) is None,
    )


@patient_required
def my_plan(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    plan = approved_plan(patient)
    now = timezone.now()
    return render_page(
        request,
        "plan.html",
        patient,
        "plan",
        plan=plan,
        plain=explain(plan.plan) if plan else None,
        rows=session_rows(
            plan,
            today=local_today(patient, now),
            now=now,
            policy=portal_policy(patient),
        )
        if plan
        else [],
    )


@patient_required
def aftercare(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    return render_page(
        request,
        "aftercare.html",
        patient,
        "aftercare",
        aftercare=_aftercare_today(patient, timezone.now()),
    )


@patient_required
def check_ins(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    return render_page(
        request,
        "check_ins.html",
        patient,
        "check_ins",
        sessions=list(completed_sessions(patient)),
        check_ins=list(reversed(check_ins_of(patient))),
    )


@patient_required
def new_check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    patient = own_patient_record(request.user)
    appointment = own_appointment(patient, appointment_id)
    if (
        appointment.plan_session is None
        or appointment.status != AppointmentStatus.COMPLETED
    ):
        raise Http404("Check-ins are for sessions that have taken place.")
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            check_in = submit_check_in(
                patient=patient,
                appointment=appointment,
                answers=form.answers(),
                now=timezone.now(),
            )
        except OutcomeRefused as exc:
            form.add_error(None, exc.message)
        else:
            _thank(request, patient, check_in)
            return redirect("portal:check_ins")
    return render_page(
        request,
        "check_in_form.html",
        patient,
        "check_ins",
        status=422 if form.is_bound and form.errors else 200,
        form=form,
        appointment=appointment,
        when=local_words(appointment),
    )


def _thank(request: HttpRequest, patient: Patient, check_in: CheckIn) -> None:
    if not check_in.needs_attention:
        messages.success(request, _("Thank you: your check-in is sent to the clinic."))
        return
    phone = portal_policy(patient).phone
    if phone:
        text = _(
            "Thank you: your answers are sent to the clinic and marked for a "
            "practitioner to look at. If you are worried, call the clinic on "
            "%(phone)s; in an emergency, call your local emergency number."
        ) % {"phone": phone}
    else:
        text = _(
            "Thank you: your answers are sent to the clinic and marked for a "
            "practitioner to look at. If you are worried, call the clinic; in an "
            "emergency, call your local emergency number."
        )
    messages.warning(request, text)


@patient_required
def progress(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    rows = list(check_ins_of(patient))
    return render_page(
        request,
        "progress.html",
        patient,
        "progress",
        check_ins=rows,
        charts=symptom_charts(rows),
        score_charts=score_progress(patient, for_patient=True),
    )


@patient_required
def consents(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    return render_page(
        request,
        "consents.html",
        patient,
        "consents",
        kinds=[
            (kind, label, consent_in_force(patient, kind))
            for kind, label in ConsentKind.choices
        ],
        history=patient_consents(patient),
    )


@patient_required
def sign(request: HttpRequest, kind: str) -> HttpResponse:
    """The patient reads and signs a consent text themself."""
    patient = own_patient_record(request.user)
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
                witnessed_by=None,
                signed_via=SignedVia.PORTAL,
                now=timezone.now(),
            )
        except ChartingRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Thank you: your consent is signed and recorded.")
            )
            return redirect("portal:consents")
    return render_page(
        request,
        "sign.html",
        patient,
        "consents",
        status=422 if form.is_bound and form.errors else 200,
        text=text,
        form=form,
    )


@patient_required
def my_data(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    return render_page(
        request,
        "my_data.html",
        patient,
        "data",
        closure_form=ClosureForm(),
        closure=open_closure_request(patient),
    )


@patient_required
def download_data(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    data = export_patient_data(patient, now=timezone.now())
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-skinterval-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@patient_required
def close_account(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    form = ClosureForm(request.POST)
    if not form.is_valid():
        return render_page(
            request,
            "my_data.html",
            patient,
            "data",
            status=422,
            closure_form=form,
            closure=open_closure_request(patient),
        )
    request_account_closure(
        patient=patient, reason=form.cleaned_data["reason"], now=timezone.now()
    )
    messages.success(
        request,
        _(
            "Your request is sent. The clinic will close your account and tell you "
            "when it is done."
        ),
    )
    return redirect("portal:data")
