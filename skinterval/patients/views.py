"""Staff pages about patients. Every patient is loaded through patients.queries."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from skinterval.audit.services import record_list
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.patients.chart import patient_chart
from skinterval.patients.forms import PatientSearchForm
from skinterval.patients.models import Patient
from skinterval.patients.queries import get_patient_for_user, patients_for_user

PAGE_SIZE = 25


@staff_required()
def patient_list(request: HttpRequest) -> HttpResponse:
    patients = patients_for_user(request.user)
    form = PatientSearchForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        patients = patients.filter(
            Q(given_name__icontains=q)
            | Q(family_name__icontains=q)
            | Q(chart_number__iexact=q)
        )
    page = Paginator(
        patients.order_by("family_name", "given_name"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    record_list(Patient, user=request.user, count=len(page.object_list))
    return render(request, "patients/patient_list.html", {"page": page, "form": form})


@staff_required()
def patient_detail(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The patient's chart: demographics, consent, latest assessment, timeline."""
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user)
    chart = patient_chart(
        patient, can_open_charts=member.role == StaffRole.PRACTITIONER
    )
    return render(
        request,
        "patients/patient_detail.html",
        {"patient": patient, "chart": chart},
    )
