"""Translatable labels for the assessment contract's codes (`cheeks`, `tca_cross`).

The planning engine speaks in codes (``skinterval.domain.assessment``); staff pages
show these labels. A code without a label (a newer contract than this table) is
shown readably rather than refused: `code_label("new_thing")` → "New thing".
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

AREA_LABELS: Mapping[str, Promise] = {
    "forehead": _("Forehead"),
    "temples": _("Temples"),
    "periorbital": _("Around the eyes"),
    "nose": _("Nose"),
    "cheeks": _("Cheeks"),
    "perioral": _("Around the mouth"),
    "chin": _("Chin"),
    "jawline": _("Jawline"),
    "neck": _("Neck"),
    "chest": _("Chest"),
    "back": _("Back"),
    "abdomen": _("Abdomen"),
    "flanks": _("Flanks"),
    "arms": _("Arms"),
    "thighs": _("Thighs"),
    "buttocks": _("Buttocks"),
}

SCAR_KIND_LABELS: Mapping[str, Promise] = {
    "rolling": _("Rolling (acne)"),
    "boxcar": _("Boxcar (acne)"),
    "icepick": _("Ice-pick (acne)"),
    "macular": _("Macular (flat marks)"),
    "hypertrophic": _("Hypertrophic"),
    "keloid": _("Keloid"),
    "surgical": _("Surgical"),
    "traumatic": _("Traumatic"),
    "burn": _("Burn"),
    "striae_rubra": _("Stretch marks, red (striae rubra)"),
    "striae_alba": _("Stretch marks, white (striae alba)"),
}

PROCEDURE_LABELS: Mapping[str, Promise] = {
    "chemical_peel_superficial": _("Superficial chemical peel"),
    "chemical_peel_medium": _("Medium-depth chemical peel"),
    "chemical_peel_deep": _("Deep chemical peel"),
    "glycolic_peel": _("Glycolic peel"),
    "tca_cross": _("TCA CROSS"),
    "subcision": _("Subcision"),
    "fractional_nonablative_laser": _("Fractional non-ablative laser"),
    "fractional_ablative_laser": _("Fractional ablative laser"),
    "ablative_laser": _("Ablative laser"),
    "ipl": _("Intense pulsed light (IPL)"),
    "radiofrequency_microneedling": _("Radiofrequency micro-needling"),
    "filler": _("Dermal filler"),
    "botulinum_toxin": _("Botulinum toxin"),
    "prp": _("Platelet-rich plasma (PRP)"),
    "surgery": _("Surgery"),
    "microneedling": _("Micro-needling"),
}

ISOTRETINOIN_LABELS: Mapping[str, Promise] = {
    "never": _("Never taken"),
    "current": _("Taking it now"),
    "stopped": _("Stopped"),
}

DIABETES_LABELS: Mapping[str, Promise] = {
    "none": _("None"),
    "controlled": _("Controlled"),
    "uncontrolled": _("Uncontrolled"),
}

ACNE_LABELS: Mapping[str, Promise] = {
    "none": _("None"),
    "mild": _("Mild"),
    "moderate": _("Moderate"),
    "severe": _("Severe"),
}

DECISION_LABELS: Mapping[str, Promise] = {
    "proceed": _("Proceed"),
    "defer": _("Defer"),
    "decline": _("Decline"),
}


def code_label(code: str) -> str:
    """A readable fallback for a code no table knows."""
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


def label(table: Mapping[str, Promise], code: str) -> str:
    """The translated label of `code`, or a readable fallback."""
    found = table.get(code)
    return str(found) if found is not None else code_label(code)
