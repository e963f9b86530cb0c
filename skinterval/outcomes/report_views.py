"""The clinic's outcome report, as a page with charts and as CSV. Owners and
practitioners only: it compares practitioners and holds clinical results, which
the front desk does not need (decision 0013)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from skinterval.audit.services import record_export, record_list
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.domain.outcome_report import ALL, OutcomeReport
from skinterval.outcomes.report_csv import report_csv
from skinterval.outcomes.report_display import (
    scale_headings,
    scale_notes,
    sections,
)
from skinterval.outcomes.report_queries import clinic_outcome_report

REPORT_ROLES = (StaffRole.OWNER, StaffRole.PRACTITIONER)
# In the audit log: the report is no model; its id there is the day it is as of.
REPORT_TYPE = "outcomes.report"


def _report(request: HttpRequest) -> OutcomeReport:
    """The caller's own clinic's report, as of today in the clinic's zone."""
    clinic = require_staff(request.user, REPORT_ROLES).clinic
    today = wallclock.local_date(timezone.now(), clinic.zone)
    return clinic_outcome_report(clinic, today)


def _patients(report: OutcomeReport) -> int:
    return sum(r.patients for r in report.by_dimension(ALL))


@staff_required(*REPORT_ROLES)
def report_page(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    record_list(REPORT_TYPE, user=request.user, count=_patients(report))
    return render(
        request,
        "outcomes/report.html",
        {
            "report": report,
            "sections": sections(report),
            "scales": scale_headings(report),
            "scale_notes": scale_notes(report),
        },
    )


@staff_required(*REPORT_ROLES)
def report_csv_download(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    record_export(
        user=request.user,
        object_type=REPORT_TYPE,
        object_id=report.on.isoformat(),
        count=_patients(report),
    )
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{report.on.isoformat()}.csv"'
    )
    return response
