"""`{% photo_summary patient %}`: the photo section of the staff patient chart."""

from __future__ import annotations

from typing import Any

from django import template

from skinterval.patients.models import Patient
from skinterval.photos.queries import photo_consent_state, photo_series

register = template.Library()


@register.inclusion_tag("photos/_chart_summary.html")
def photo_summary(patient: Patient) -> dict[str, Any]:
    series = photo_series(patient)
    return {
        "patient": patient,
        "consent": photo_consent_state(patient),
        "shown_count": sum(len(s.photos) for s in series),
        "series_count": len(series),
        "compared_count": sum(1 for s in series if s.has_comparison),
    }
