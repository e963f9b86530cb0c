"""The patient portal: a patient's own record, nobody else's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from skinterval.clinics.decorators import patient_required
from skinterval.patients.queries import own_patient_record


@patient_required
def portal_home(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    return render(request, "portal/portal_home.html", {"patient": patient})
