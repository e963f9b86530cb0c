"""Small builders of assessment JSON for the domain tests."""

from __future__ import annotations

import copy
from typing import Any

from skinterval.domain.assessment import parse_assessment
from skinterval.domain.plan import SeriesPlan
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL, Protocol, loads_protocol
from skinterval.domain.ruleset import load_rules

ASSESSED_ON = "2025-03-03"
BASE: dict[str, Any] = {
    "assessed_on": ASSESSED_ON,
    "patient": {"birth_date": "1990-01-01", "fitzpatrick": 2},
    "scars": [{"area": "cheeks", "kind": "rolling", "grade": 2}],
}


def data(
    *,
    patient: dict[str, Any] | None = None,
    history: dict[str, Any] | None = None,
    exam: dict[str, Any] | None = None,
    scars: list[dict[str, Any]] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A valid assessment dict: the base, with the given parts merged in."""
    out = copy.deepcopy(BASE)
    if patient:
        out["patient"].update(patient)
    if history is not None:
        out["history"] = history
    if exam is not None:
        out["exam"] = exam
    if scars is not None:
        out["scars"] = scars
    out.update(top)
    return out


def protocol(text: str) -> Protocol:
    return loads_protocol(text, load_rules())


def plan(raw: dict[str, Any], proto: Protocol = DEFAULT_PROTOCOL) -> SeriesPlan:
    return plan_series(parse_assessment(raw), proto, load_rules())


def codes(p: SeriesPlan) -> dict[str, str]:
    """Finding code -> severity (the most severe when a code repeats)."""
    out: dict[str, str] = {}
    for f in reversed(p.findings):
        out[f.code] = f.severity
    return out
