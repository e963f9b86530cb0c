"""The patient rates their own scars on the patient-reported scales (patient
global rating 0-10, POSAS 2.0 patient scale). The score belongs to the latest
session or review visit they attended, or is a baseline before the first one;
the charts on "My progress" show it next to the practitioner's scores."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.appointments.models import Appointment
from skinterval.clinics.decorators import patient_required
from skinterval.domain.scales import get_scale
from skinterval.outcomes.forms import ScoreForm
from skinterval.outcomes.queries import (
    areas_to_score,
    plan_in_force,
    scorable_visit,
    scores_for_patient,
)
from skinterval.outcomes.score_labels import better_text
from skinterval.outcomes.services import (
    PATIENT_REPORTED_SCALES,
    ScoreRefused,
    occasion_for_patient_report,
    record_score,
)
from skinterval.patients import labels
from skinterval.patients.queries import own_patient_record
from skinterval.portal.pages import render_page

# The patient's words for each scale and item (the domain's labels are the
# clinicians' shorthand).
SCALE_INTROS: dict[str, Any] = {
    "patient_global_0_10": (
        gettext_lazy("One overall rating"),
        gettext_lazy(
            "One number from 0 to 10 for how you see your scars overall. If you "
            "are unsure which end means what, ask your practitioner at your next "
            "visit and use the same meaning each time."
        ),
    ),
    "posas2_patient": (
        gettext_lazy("Six questions about your scars (POSAS patient scale)"),
        gettext_lazy(
            "For each question, a number from 1 to 10 comparing your scars with "
            "your normal skin. The last question is optional."
        ),
    ),
}
ITEM_LABELS: dict[str, Any] = {
    "rating": gettext_lazy("Your overall rating of your scars (0 to 10)"),
    "pain": gettext_lazy("Pain"),
    "itch": gettext_lazy("Itching"),
    "colour": gettext_lazy("Colour"),
    "stiffness": gettext_lazy("Stiffness"),
    "thickness": gettext_lazy("Thickness"),
    "irregularity": gettext_lazy("Irregularity (unevenness)"),
    "overall_opinion": gettext_lazy("Your overall opinion of the scar"),
}


@patient_required
def rate_scars(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    visit = scorable_visit(patient)
    occasion = occasion_for_patient_report(visit)
    plan = plan_in_force(patient, visit)
    areas = [
        (code, labels.label(labels.AREA_LABELS, code))
        for code in areas_to_score(patient, plan)
    ]
    posted = request.POST.get("scale") if request.method == "POST" else None
    item_labels = {key: str(value) for key, value in ITEM_LABELS.items()}
    forms = []
    for scale_id in PATIENT_REPORTED_SCALES:
        scale = get_scale(scale_id)
        title, intro = SCALE_INTROS[scale_id]
        form = ScoreForm(
            request.POST if posted == scale_id else None,
            scale=scale,
            areas=areas,
            item_labels=item_labels,
            prefix=scale_id,
        )
        if posted == scale_id and form.is_valid():
            try:
                record_score(
                    patient=patient,
                    area=form.cleaned_data["area"],
                    scale=scale_id,
                    items=form.cleaned_data["items"],
                    occasion=occasion,
                    appointment=visit,
                    scored_by=None,
                    now=timezone.now(),
                )
            except ScoreRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Thank you: your answers are saved and drawn on your chart."),
                )
                return redirect("portal:progress")
        forms.append(
            {
                "scale_id": scale_id,
                "title": title,
                "intro": intro,
                "better": better_text(scale),
                "form": form,
            }
        )
    failed = any(f["form"].is_bound and f["form"].errors for f in forms)
    reported = [
        s
        for s in scores_for_patient(patient).filter(scored_by__isnull=True)
        if (visit is None and s.appointment_id is None)
        or (visit is not None and s.appointment_id == visit.pk)
    ]
    return render_page(
        request,
        "rate_scars.html",
        patient,
        "progress",
        status=422 if failed else 200,
        visit=visit,
        visit_name=_("before your treatment starts")
        if visit is None
        else visit_label_for(visit),
        forms=forms,
        reported=[
            {
                "score": s,
                "area": labels.label(labels.AREA_LABELS, s.area),
                "title": SCALE_INTROS[s.scale][0] if s.scale in SCALE_INTROS else "",
            }
            for s in reported
        ],
    )


def visit_label_for(visit: Appointment) -> str:
    if visit.plan_session is not None:
        return _("since your session %(n)d") % {"n": visit.plan_session.number}
    return _("since your review visit")
