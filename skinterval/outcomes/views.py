"""Staff pages about a patient's check-in: read it, mark it reviewed, hold or
release the next session."""

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
from skinterval.domain.checkins import DEFAULT_POLICY
from skinterval.outcomes.forms import HoldForm
from skinterval.outcomes.models import CheckIn
from skinterval.outcomes.queries import (
    active_hold,
    get_check_in_for_staff,
    get_hold_for_staff,
    holds_after,
    next_plan_session,
)
from skinterval.outcomes.services import (
    OutcomeRefused,
    hold_next_session,
    release_session_hold,
    review_check_in,
)


@staff_required()
def check_in_detail(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_check_in_for_staff(request.user, check_in_id)
    return _render_check_in(request, check_in, HoldForm())


def _render_check_in(
    request: HttpRequest, check_in: CheckIn, hold_form: HoldForm, status: int = 200
) -> HttpResponse:
    member = require_staff(request.user)
    next_session = next_plan_session(check_in)
    return render(
        request,
        "outcomes/check_in.html",
        {
            "check_in": check_in,
            "clinic": check_in.clinic,
            "session": check_in.appointment.plan_session,
            "next_session": next_session,
            "next_hold": active_hold(next_session) if next_session else None,
            "holds": holds_after(check_in),
            "hold_form": hold_form,
            "may_act": member.role == StaffRole.PRACTITIONER,
            "policy": DEFAULT_POLICY,
        },
        status=status,
    )


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def review(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_check_in_for_staff(request.user, check_in_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    review_check_in(check_in=check_in, reviewed_by=member, now=timezone.now())
    messages.success(request, _("Check-in marked as reviewed."))
    return redirect("outcomes:check_in", check_in_id=check_in.pk)


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def hold(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_check_in_for_staff(request.user, check_in_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    form = HoldForm(request.POST)
    if not form.is_valid():  # shown again with the reason as typed and why
        return _render_check_in(request, check_in, form, status=422)
    try:
        held = hold_next_session(
            check_in=check_in,
            held_by=member,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except OutcomeRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Session %(n)d is on hold: the patient cannot book or move it "
                "online until it is released."
            )
            % {"n": held.plan_session.number},
        )
    return redirect("outcomes:check_in", check_in_id=check_in.pk)


@require_POST
@staff_required(StaffRole.PRACTITIONER)
def release(request: HttpRequest, hold_id: int) -> HttpResponse:
    held = get_hold_for_staff(request.user, hold_id)
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    release_session_hold(hold=held, released_by=member, now=timezone.now())
    messages.success(
        request,
        _("Session %(n)d is no longer on hold.") % {"n": held.plan_session.number},
    )
    if held.check_in_id is not None:
        return redirect("outcomes:check_in", check_in_id=held.check_in_id)
    return redirect("clinics:dashboard")
