"""Staff pages for scores: a patient's scores and charts, and the form a
practitioner fills in to score treated areas at a visit (or at baseline)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from skinterval.appointments.models import Appointment
from skinterval.appointments.queries import get_appointment_for_user
from skinterval.clinics.decorators import staff_required
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.domain.scales import SCALES, Scale
from skinterval.outcomes.charts import score_progress, visit_label
from skinterval.outcomes.forms import ScoreForm
from skinterval.outcomes.models import Score
from skinterval.outcomes.queries import (
    SCORABLE_STATUSES,
    areas_to_score,
    plan_in_force,
    scores_for_patient,
)
from skinterval.outcomes.score_labels import (
    STAFF_SCALE_ORDER,
    better_text,
    range_text,
    scale_label,
)
from skinterval.outcomes.services import (
    ScoreRefused,
    occasion_for_visit,
    record_score,
)
from skinterval.patients import labels
from skinterval.patients.models import Patient
from skinterval.patients.queries import get_patient_for_user


@staff_required()
def patient_scores(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Every score of the patient, item by item, with the progress charts."""
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user)
    scores = list(scores_for_patient(patient))
    return render(
        request,
        "outcomes/patient_scores.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "charts": score_progress(patient),
            "rows": [_row(score) for score in reversed(scores)],
            "may_score": member.role == StaffRole.PRACTITIONER,
        },
    )


def _row(score: Score) -> dict[str, Any]:
    scale = SCALES.get(score.scale)
    items = []
    for item_id, value in score.items.items():
        label = item_id
        if scale is not None:
            label = next((i.label for i in scale.items if i.item_id == item_id), label)
        items.append((label, value))
    return {
        "score": score,
        "area": labels.label(labels.AREA_LABELS, score.area),
        "scale": scale_label(score.scale),
        "visit": visit_label(score),
        "items": items,
        "by": score.scored_by.display_name if score.scored_by else _("The patient"),
    }


@staff_required(StaffRole.PRACTITIONER)
def record_baseline(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Score treated areas before treatment (no visit)."""
    patient = get_patient_for_user(request.user, patient_id)
    return _record(request, patient=patient, appointment=None)


@staff_required(StaffRole.PRACTITIONER)
def record_at_visit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Score treated areas at a session, a review visit or a consultation."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    return _record(request, patient=appointment.patient, appointment=appointment)


def _chosen_scale(request: HttpRequest) -> Scale | None:
    scale_id = request.POST.get("scale") or request.GET.get("scale") or ""
    return SCALES.get(scale_id)


def _record(
    request: HttpRequest, *, patient: Patient, appointment: Appointment | None
) -> HttpResponse:
    member = require_staff(request.user, [StaffRole.PRACTITIONER])
    occasion = occasion_for_visit(appointment)
    attended = appointment is None or appointment.status in SCORABLE_STATUSES
    plan = plan_in_force(patient, appointment) or (
        patient.plans.order_by("-version").first()
    )
    areas = [
        (code, labels.label(labels.AREA_LABELS, code))
        for code in areas_to_score(patient, plan)
    ]
    scale = _chosen_scale(request)
    form = None
    if scale is not None and attended:
        form = ScoreForm(
            request.POST if request.method == "POST" else None,
            scale=scale,
            areas=areas,
        )
        if request.method == "POST" and form.is_valid():
            try:
                record_score(
                    patient=patient,
                    area=form.cleaned_data["area"],
                    scale=scale.scale_id,
                    items=form.cleaned_data["items"],
                    occasion=occasion,
                    appointment=appointment,
                    scored_by=member,
                    now=timezone.now(),
                )
            except ScoreRefused as exc:
                form.add_error(None, exc.message)
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request,
                    _("%(area)s scored on %(scale)s.")
                    % {
                        "area": labels.label(
                            labels.AREA_LABELS, form.cleaned_data["area"]
                        ),
                        "scale": scale_label(scale.scale_id),
                    },
                )
                return redirect(f"{request.path}?scale={scale.scale_id}")
    if appointment is not None:
        recorded = scores_for_patient(patient).filter(appointment=appointment)
    else:
        today = wallclock.local_date(timezone.now(), patient.clinic.zone)
        recorded = scores_for_patient(patient).filter(
            appointment__isnull=True, scored_on=today
        )
    failed = form is not None and form.is_bound and bool(form.errors)
    return render(
        request,
        "outcomes/record_scores.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "appointment": appointment,
            "occasion": occasion,
            "attended": attended,
            "scales": [(s, scale_label(s)) for s in STAFF_SCALE_ORDER],
            "scale": scale,
            "scale_name": scale_label(scale.scale_id) if scale else "",
            "scale_better": better_text(scale) if scale else "",
            "scale_range": range_text(scale) if scale else "",
            "form": form,
            "recorded": [_row(score) for score in recorded],
            "back_url": reverse("appointments:detail", args=[appointment.pk])
            if appointment is not None
            else reverse("outcomes:patient_scores", args=[patient.pk]),
        },
        status=422 if failed else 200,
    )
