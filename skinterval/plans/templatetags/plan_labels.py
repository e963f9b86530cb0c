"""Readable labels for the engine's codes (`tca_cross` → "TCA CROSS")."""

from __future__ import annotations

from django import template

register = template.Library()

ACRONYMS = {"tca", "cross", "prp", "ipl", "pih", "rf"}


@register.filter
def code_label(code: str) -> str:
    words = str(code).split("_")
    shown = [w.upper() if w in ACRONYMS else w for w in words]
    text = " ".join(shown)
    return text[:1].upper() + text[1:]
