"""Words for the scales of `skinterval.domain.scales` as staff and patients see them.

The domain keeps each scale's full name, item labels and anchors as the evidence
gives them (English, not translated: they are the instrument's own wording). This
module adds the short, translatable names used in headings, charts and menus, and
says in words which end of a scale is better.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.domain.scales import Better, Scale, ScaleError, get_scale

SCALE_LABELS: Mapping[str, Promise] = {
    "gb_qualitative": gettext_lazy("Goodman & Baron qualitative"),
    "gb_quantitative": gettext_lazy("Goodman & Baron quantitative"),
    "ecca": gettext_lazy("ECCA"),
    "vss_baryza_style": gettext_lazy("Vancouver Scar Scale (common items)"),
    "vss_s102_variant": gettext_lazy("Vancouver Scar Scale (variant items)"),
    "posas2_observer": gettext_lazy("POSAS 2.0 observer"),
    "posas2_patient": gettext_lazy("POSAS 2.0 patient"),
    "gais": gettext_lazy("Global Aesthetic Improvement Scale"),
    "patient_global_0_10": gettext_lazy("Patient global rating 0-10"),
}

# The scales a practitioner picks from, in the order they are offered (every
# scale of the domain; a test checks none is missing).
STAFF_SCALE_ORDER: tuple[str, ...] = (
    "gb_qualitative",
    "gb_quantitative",
    "ecca",
    "vss_baryza_style",
    "vss_s102_variant",
    "posas2_observer",
    "posas2_patient",
    "gais",
    "patient_global_0_10",
)


def scale_label(scale_id: str) -> str:
    found = SCALE_LABELS.get(scale_id)
    if found is not None:
        return str(found)
    try:
        return get_scale(scale_id).name
    except ScaleError:
        return scale_id


def better_text(scale: Scale) -> str:
    if scale.better is Better.LOWER:
        return _("A lower total is better.")
    if scale.better is Better.HIGHER:
        return _("A higher total is better.")
    return _(
        "The evidence does not say which end of this scale is better, so the "
        "chart shows the numbers without calling a change better or worse."
    )


def range_text(scale: Scale) -> str:
    return _("Totals run from %(low)d to %(high)d.") % {
        "low": scale.total_min,
        "high": scale.total_max,
    }
