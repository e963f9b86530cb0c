"""Re-plan proposals: read by staff, accepted or declined by practitioners."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.plans.models import ReplanProposal
from skinterval.plans.queries import get_proposal_for_user
from skinterval.plans.replan_display import DeclineForm, decline_form, describe
from skinterval.plans.replanning import (
    InvalidDecision,
    ProposalRefused,
    accept_replan_proposal,
    decline_replan_proposal,
)


@staff_required()
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_proposal_for_user(request.user, proposal_id)
    return _render(request, proposal, None)


def _render(
    request: HttpRequest,
    proposal: ReplanProposal,
    form: DeclineForm | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "plans/replan_proposal.html",
        {"view": describe(proposal, form)},
        status=status,
    )


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_proposal_for_user(request.user, proposal_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    try:
        new = accept_replan_proposal(
            proposal=proposal, accepted_by=member, now=timezone.now()
        )
    except ProposalRefused as exc:
        messages.error(request, str(exc))
        return redirect("plans:replan_proposal", proposal_id=proposal.pk)
    messages.success(
        request,
        _("Version %(v)s carries the re-plan; review and approve it.")
        % {"v": new.version},
    )
    return redirect("plans:detail", plan_id=new.pk)


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def decline(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_proposal_for_user(request.user, proposal_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    form = decline_form(proposal, request.POST)
    if form.is_valid():
        try:
            decline_replan_proposal(
                proposal=proposal,
                declined_by=member,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ProposalRefused as exc:
            messages.error(request, str(exc))
            return redirect("plans:replan_proposal", proposal_id=proposal.pk)
        except InvalidDecision as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(field, problem)
        else:
            messages.success(request, _("Proposal declined; the plan is unchanged."))
            return redirect("clinics:dashboard")
    return _render(request, proposal, form, status=422)
