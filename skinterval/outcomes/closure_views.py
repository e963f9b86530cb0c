"""The clinic owner's pages for patients' account closure requests: the list,
and one request's confirmation page, which shows what closing ends and what is
kept, and closes the account on POST (skinterval.outcomes.closure)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from skinterval.audit.services import record_list
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.outcomes.closure import (
    ClosureOutcome,
    ClosureRefused,
    close_account,
    closure_preview,
)
from skinterval.outcomes.forms import CloseAccountForm
from skinterval.outcomes.models import AccountClosureRequest, ClosureStatus
from skinterval.outcomes.queries import (
    closure_requests_for_owner,
    get_closure_request_for_owner,
)

# Handled requests shown under the open ones (the admin lists them all).
HANDLED_SHOWN = 20


@staff_required(StaffRole.OWNER)
def closure_list(request: HttpRequest) -> HttpResponse:
    member = require_staff(request.user, [StaffRole.OWNER])
    rows = closure_requests_for_owner(request.user)
    waiting = list(rows.filter(status=ClosureStatus.OPEN))
    handled = list(rows.exclude(status=ClosureStatus.OPEN)[:HANDLED_SHOWN])
    record_list(
        AccountClosureRequest, user=request.user, count=len(waiting) + len(handled)
    )
    return render(
        request,
        "outcomes/closure_list.html",
        {"clinic": member.clinic, "waiting": waiting, "handled": handled},
    )


@require_http_methods(["GET", "POST"])
@staff_required(StaffRole.OWNER)
def closure_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    closure = get_closure_request_for_owner(request.user, request_id)
    member = require_staff(request.user, [StaffRole.OWNER])
    now = timezone.now()
    is_open = closure.status == ClosureStatus.OPEN
    preview = closure_preview(closure, now=now) if is_open else None
    appointments = preview.future_appointments if preview else []
    form = CloseAccountForm(
        request.POST if request.method == "POST" else None,
        appointment_ids=[a.pk for a in appointments],
    )
    status = 200
    if request.method == "POST":
        if not is_open:
            messages.info(request, _("This account was already closed."))
            return redirect("outcomes:closure", request_id=closure.pk)
        if form.is_valid():
            try:
                outcome = close_account(
                    closure_request=closure,
                    by=member,
                    now=now,
                    cancel_appointment_ids=form.cleaned_data["cancel"],
                )
            except ClosureRefused:
                messages.error(
                    request,
                    _(
                        "This login is also a staff login: end it in the "
                        "administration, not here."
                    ),
                )
                status = 409
            else:
                messages.success(request, _done_message(outcome))
                return redirect("outcomes:closure", request_id=closure.pk)
        else:
            status = 422
    return render(
        request,
        "outcomes/closure_detail.html",
        {
            "clinic": closure.clinic,
            "closure": closure,
            "patient": closure.patient,
            "preview": preview,
            "appointments": appointments,
            "form": form,
            # Ticked boxes stay ticked when the page comes back with a problem.
            "chosen": set(request.POST.getlist("cancel")),
        },
        status=status,
    )


def _done_message(outcome: ClosureOutcome) -> str:
    if outcome.already_closed:
        return _("This account was already closed.")
    text = _("The account is closed: the patient can no longer log in.")
    if outcome.appointments_cancelled:
        n = outcome.appointments_cancelled
        text += " " + (
            ngettext("%(n)d appointment cancelled.", "%(n)d appointments cancelled.", n)
            % {"n": n}
        )
    return text
