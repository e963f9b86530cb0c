"""Assessment → plan → approval, for practitioners (front desk may read plans)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain.errors import InvalidInput
from skinterval.patients.queries import get_patient_for_user
from skinterval.plans.forms import (
    AssessmentForm,
    ProcedureFormSet,
    ScarFormSet,
    assessment_json,
    attach_engine_errors,
)
from skinterval.plans.queries import get_plan_for_user
from skinterval.plans.services import ApprovalRefused, approve_plan, create_plan


@staff_required(StaffRole.PRACTITIONER)
def new_plan(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    data = request.POST if request.method == "POST" else None
    form = AssessmentForm(
        data,
        patient=patient,
        initial={
            "assessed_on": timezone.localdate(timezone=patient.clinic.zone),
            "fitzpatrick": patient.fitzpatrick,
        },
    )
    scars = ScarFormSet(data, prefix="scars")
    procedures = ProcedureFormSet(data, prefix="procedures")
    if (
        data is not None
        and form.is_valid()
        and scars.is_valid()
        and procedures.is_valid()
    ):
        try:
            plan = create_plan(
                patient=patient,
                assessment=assessment_json(form, scars, procedures),
                created_by=member,
            )
        except InvalidInput as exc:
            attach_engine_errors(exc.problems, form, scars, procedures)
        else:
            messages.success(
                request,
                _("Plan version %(v)s is ready for review.") % {"v": plan.version},
            )
            return redirect("plans:detail", plan_id=plan.pk)
    status = 422 if data is not None else 200
    return render(
        request,
        "plans/plan_form.html",
        {"patient": patient, "form": form, "scars": scars, "procedures": procedures},
        status=status,
    )


@staff_required()
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, plan_id)
    data = plan.plan
    evidence = data.get("evidence", {})
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "data": data,
            "evidence": sorted(evidence.items(), key=lambda kv: _evidence_order(kv[0])),
            "sessions": plan.sessions.order_by("number"),
            "versions": plan.patient.plans.order_by("-version"),
        },
    )


def _evidence_order(key: str) -> tuple[int, int, str]:
    if key.startswith("S") and key[1:].isdigit():
        return (0, int(key[1:]), key)
    return (1, 0, key)


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def approve(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, plan_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    try:
        approve_plan(plan=plan, approved_by=member, now=timezone.now())
    except ApprovalRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Plan approved."))
    return redirect("plans:detail", plan_id=plan.pk)
