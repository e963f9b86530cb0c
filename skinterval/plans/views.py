"""Assessment → plan → override → approval, for practitioners (front desk may read
plans)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff, staff_member_for
from skinterval.domain.errors import InvalidInput
from skinterval.patients.queries import get_patient_for_user
from skinterval.plans.forms import (
    AssessmentForm,
    PlanOverrideForm,
    ProcedureFormSet,
    ScarFormSet,
    assessment_json,
    attach_engine_errors,
)
from skinterval.plans.models import Plan, ProposalStatus
from skinterval.plans.overrides import InvalidOverride
from skinterval.plans.queries import get_plan_for_user, override_history
from skinterval.plans.services import (
    ApprovalRefused,
    OverrideRefused,
    approve_plan,
    check_overridable,
    create_plan,
    override_plan,
)


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
    return _render_detail(request, plan)


def _may_override(request: HttpRequest, plan: Plan) -> bool:
    member = staff_member_for(request.user)
    if member is None or member.role != StaffRole.PRACTITIONER:
        return False
    try:
        check_overridable(plan)
    except OverrideRefused:
        return False
    return True


def _render_detail(
    request: HttpRequest,
    plan: Plan,
    override_form: PlanOverrideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = plan.plan
    evidence = data.get("evidence", {})
    if override_form is None and _may_override(request, plan):
        override_form = PlanOverrideForm(plan_data=data)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "data": data,
            "evidence": sorted(evidence.items(), key=lambda kv: _evidence_order(kv[0])),
            "sessions": plan.sessions.order_by("number"),
            "versions": plan.patient.plans.order_by("-version"),
            "overrides": override_history(plan),
            "override_form": override_form,
            "replan_proposals": plan.replan_proposals.filter(
                status=ProposalStatus.PENDING
            ),
        },
        status=status,
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


@require_http_methods(["GET", "POST"])
@staff_required(StaffRole.PRACTITIONER)
def override(request: HttpRequest, plan_id: int) -> HttpResponse:
    """POST: override elements of a draft with a reason, making a new version.
    GET: the plan page, at its override form."""
    plan = get_plan_for_user(request.user, plan_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    if request.method != "POST":
        return redirect(reverse("plans:detail", args=[plan.pk]) + "#override-h")
    try:
        check_overridable(plan)
    except OverrideRefused as exc:
        messages.error(request, str(exc))
        return redirect("plans:detail", plan_id=plan.pk)
    form = PlanOverrideForm(request.POST, plan_data=plan.plan)
    if form.is_valid():
        try:
            new = override_plan(
                plan=plan,
                overridden_by=member,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except OverrideRefused as exc:
            messages.error(request, str(exc))
            return redirect("plans:detail", plan_id=plan.pk)
        except InvalidOverride as exc:
            form.add_errors(exc.errors)
        else:
            messages.success(
                request,
                _("Version %(v)s saved with your changes; it awaits approval.")
                % {"v": new.version},
            )
            return redirect("plans:detail", plan_id=new.pk)
    return _render_detail(request, plan, form, status=422)
