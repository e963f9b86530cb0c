"""Rendering shared by the portal's pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format

from skinterval.appointments.models import Appointment
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.portal.queries import portal_policy


def render_page(
    request: HttpRequest,
    template: str,
    patient: Patient,
    section: str,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    """A portal page: the template under portal/, with the patient, their clinic,
    the portal section (for the navigation) and the clinic's portal policy."""
    context.update(
        {
            "patient": patient,
            "clinic": patient.clinic,
            "section": section,
            "policy": portal_policy(patient),
        }
    )
    return render(request, f"portal/{template}", context, status=status)


def local_words(appointment: Appointment) -> str:
    """When an appointment starts, in words, on the clinic's clock."""
    local = wallclock.to_local(appointment.starts_at, appointment.clinic.zone)
    return date_format(local, "l j F Y, H:i")
