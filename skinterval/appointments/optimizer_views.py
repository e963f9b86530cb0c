"""Running the calendar optimizer from the staff app (skinterval/appointments/
optimizer_runs.py holds the use cases): start a run, watch its progress, book
its proposal."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from skinterval.appointments.forms import OptimizerForm
from skinterval.appointments.models import OptimizerRun, OptimizerRunStatus
from skinterval.appointments.optimizer_runs import (
    RunRefused,
    apply_optimizer_run,
    is_stale,
    proposal_rows,
    start_optimizer_run,
)
from skinterval.appointments.queries import get_optimizer_run_for_user
from skinterval.audit.services import record_list
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.plans.models import PlanSession

RECENT_RUNS = 10


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


PHASES = {
    "": _("Waiting for the worker"),
    "greedy": _("Placing sessions first-fit"),
    "paths": _("Placing each series whole"),
    "bound": _("Proving how good the calendar can be"),
    "priced paths": _("Placing each series whole"),
    "search": _("Improving the calendar"),
    "monolithic": _("Searching the whole calendar"),
    "done": _("Finished"),
}


@staff_required()
def optimizer_page(request: HttpRequest) -> HttpResponse:
    member = require_staff(request.user)
    clinic = member.clinic
    today = wallclock.local_date(timezone.now(), clinic.zone)
    form = OptimizerForm(
        request.POST if request.method == "POST" else None,
        clinic_id=clinic.pk,
        initial={"first_on": today, "last_on": today + timedelta(weeks=4)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = start_optimizer_run(
                location=form.cleaned_data["location"],
                first_on=form.cleaned_data["first_on"],
                last_on=form.cleaned_data["last_on"],
                time_limit_s=form.cleaned_data["time_limit_s"],
                requested_by=member,
                now=timezone.now(),
            )
        except RunRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("calendar:optimizer_run", run_id=run.pk)
    runs = OptimizerRun.objects.filter(clinic=clinic).select_related(
        "location", "requested_by"
    )[:RECENT_RUNS]
    return render(
        request,
        "appointments/optimizer.html",
        {"form": form, "runs": runs, "clinic": clinic},
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_required()
def optimizer_run(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """The run's page; with HTMX, only its progress block (polled while it runs)."""
    run = get_optimizer_run_for_user(request.user, run_id)
    working = run.status in (OptimizerRunStatus.QUEUED, OptimizerRunStatus.RUNNING)
    changes = proposal_rows(run) if run.proposal else []
    if changes:  # the proposal names the patients whose sessions it places
        record_list(PlanSession, user=request.user, count=len(changes))
    context = {
        "run": run,
        "clinic": run.clinic,
        "working": working,
        "stale": is_stale(run, timezone.now()),
        "phase": PHASES.get(run.phase, run.phase),
        "percent": min(100, round(100 * run.elapsed_s / max(1, run.time_limit_s))),
        "changes": changes,
    }
    template = (
        "appointments/partials/optimizer_progress.html"
        if request.htmx
        else "appointments/optimizer_run.html"
    )
    return render(request, template, context)


@staff_required()
@require_POST
def optimizer_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_optimizer_run_for_user(request.user, run_id)
    try:
        count = apply_optimizer_run(
            run=run, applied_by=require_staff(request.user), now=timezone.now()
        )
    except RunRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d appointment booked or moved.",
                "%(n)d appointments booked or moved.",
                count,
            )
            % {"n": count},
        )
    return redirect("calendar:optimizer_run", run_id=run.pk)
