"""Staff pages about the clinic itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from skinterval.audit.services import record_list
from skinterval.clinics.dashboard import dashboard_for
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import (
    locations_for_clinic,
    practitioners_for_clinic,
    require_staff,
    staff_member_for,
)
from skinterval.outcomes.models import AccountClosureRequest, ClosureStatus
from skinterval.patients.models import Patient
from skinterval.patients.queries import patients_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each login to its own start page."""
    if staff_member_for(request.user) is not None:
        return redirect("clinics:overview")
    if patients_for_user(request.user).exists():
        return redirect("portal:home")
    raise PermissionDenied("This login has no clinic or patient record.")


@staff_required()
def overview(request: HttpRequest) -> HttpResponse:
    """The staff member's own clinic: locations, rooms, devices, practitioners."""
    member = require_staff(request.user)
    clinic = member.clinic
    return render(
        request,
        "clinics/clinic_overview.html",
        {
            "clinic": clinic,
            "locations": locations_for_clinic(clinic),
            "practitioners": practitioners_for_clinic(clinic),
            "patient_count": Patient.objects.filter(clinic=clinic).count(),
            # The owner acts on patients' account closure requests.
            "open_closures": (
                AccountClosureRequest.objects.filter(
                    clinic=clinic, status=ClosureStatus.OPEN
                ).count()
                if member.role == StaffRole.OWNER
                else None
            ),
        },
    )


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    """Today at the clinic, and who needs booking or approving."""
    member = require_staff(request.user)
    board = dashboard_for(member.clinic, timezone.now())
    # One event for the page, with how many patients it names (docs/audit.md).
    record_list(Patient, user=request.user, count=len(board.patient_ids()))
    return render(
        request,
        "clinics/dashboard.html",
        {"clinic": member.clinic, "board": board},
    )
