"""The assessment: one patient's input to planning, parsed from the contract's JSON.

`parse_assessment` validates a decoded JSON value against a verbatim copy of
``assessment.schema.json`` and turns it into frozen dataclasses. Every problem is
reported at once, one line each, starting with its JSON path
(``scars[0].area: ...``), because the command line prints them as they are and
practitioners fix input in one go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from skinterval.domain import wallclock
from skinterval.domain.contracts import format_path, load_schema
from skinterval.domain.errors import InvalidInput

AREAS: tuple[str, ...] = (
    "forehead",
    "temples",
    "periorbital",
    "nose",
    "cheeks",
    "perioral",
    "chin",
    "jawline",
    "neck",
    "chest",
    "back",
    "abdomen",
    "flanks",
    "arms",
    "thighs",
    "buttocks",
)
SCAR_KINDS: tuple[str, ...] = (
    "rolling",
    "boxcar",
    "icepick",
    "macular",
    "hypertrophic",
    "keloid",
    "surgical",
    "traumatic",
    "burn",
    "striae_rubra",
    "striae_alba",
)
PROCEDURE_KINDS: tuple[str, ...] = (
    "chemical_peel_superficial",
    "chemical_peel_medium",
    "chemical_peel_deep",
    "glycolic_peel",
    "tca_cross",
    "subcision",
    "fractional_nonablative_laser",
    "fractional_ablative_laser",
    "ablative_laser",
    "ipl",
    "radiofrequency_microneedling",
    "filler",
    "botulinum_toxin",
    "prp",
    "surgery",
    "microneedling",
)
REACTIONS: tuple[str, ...] = (
    "expected",
    "prolonged_erythema",
    "pih",
    "infection",
    "tram_track",
    "granuloma",
    "herpes_outbreak",
    "other",
)
AREA_ORDER: dict[str, int] = {area: i for i, area in enumerate(AREAS)}


@dataclass(frozen=True, slots=True)
class Patient:
    birth_date: date
    fitzpatrick: int
    pregnant: bool = False
    nursing: bool = False


@dataclass(frozen=True, slots=True)
class Isotretinoin:
    status: str  # never | current | stopped
    stopped_on: date | None = None


@dataclass(frozen=True, slots=True)
class Procedure:
    kind: str
    on: date
    area: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    isotretinoin: Isotretinoin | None = None
    anticoagulant: bool = False
    bleeding_disorder: bool = False
    keloid_tendency: bool = False
    immunosuppressed: bool = False
    diabetes: str | None = None
    herpes_simplex_history: bool = False
    metal_allergy: bool = False
    anaesthetic_allergy: bool = False
    radiotherapy_to_area_on: date | None = None
    recent_procedures: tuple[Procedure, ...] = ()


@dataclass(frozen=True, slots=True)
class Exam:
    active_infection_areas: tuple[str, ...] = ()
    open_wound_areas: tuple[str, ...] = ()
    skin_cancer_areas: tuple[str, ...] = ()
    active_herpes: bool = False
    active_acne: str | None = None


@dataclass(frozen=True, slots=True)
class Scar:
    area: str
    kind: str
    grade: int | None = None
    count: int | None = None
    wound_closed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    max_depth_mm: float


@dataclass(frozen=True, slots=True)
class AreaDepth:
    area: str
    depth_mm: float


@dataclass(frozen=True, slots=True)
class PriorSession:
    on: date
    areas: tuple[AreaDepth, ...] = ()
    reaction: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything planning needs about one patient, as of `assessed_on`."""

    assessed_on: date
    patient: Patient
    scars: tuple[Scar, ...]
    history: History = History()
    exam: Exam = Exam()
    device: Device | None = None
    prior_sessions: tuple[PriorSession, ...] = ()


# --------------------------------------------------------------------------- schema


@cache
def _validator() -> Draft202012Validator:
    schema = load_schema("assessment.schema.json")
    return Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value)


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _is_date_schema(schema: Mapping[str, Any]) -> bool:
    return schema.get("format") == "date"


def _messages(error: Any) -> Iterator[str]:
    """One readable line per problem for a jsonschema error."""
    path = list(error.absolute_path)
    where = format_path(path)
    kind = error.validator
    value = error.validator_value
    instance = error.instance
    if kind == "required":
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                yield f"{format_path([*path, name])}: required field missing"
    elif kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for name in instance:
            if name not in allowed:
                yield (
                    f"{format_path([*path, name])}: unknown field "
                    f"(expected one of {', '.join(allowed)})"
                )
    elif kind == "enum":
        yield f"{where}: {_show(instance)} is not one of {', '.join(map(str, value))}"
    elif kind in ("pattern", "format") or (
        kind == "anyOf" and any(_is_date_schema(s) for s in value)
    ):
        if isinstance(instance, str):
            yield f"{where}: {_show(instance)} is not a valid date (YYYY-MM-DD)"
        else:
            yield (
                f"{where}: expected a date string (YYYY-MM-DD) or null, "
                f"got {_json_type(instance)} {_show(instance)}"
            )
    elif kind == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        got = f"{_json_type(instance)} {_show(instance)}"
        yield f"{where}: expected {expected}, got {got}"
    elif kind == "minimum":
        yield f"{where}: {_show(instance)} is below the minimum {value}"
    elif kind == "maximum":
        yield f"{where}: {_show(instance)} is above the maximum {value}"
    elif kind == "exclusiveMinimum":
        yield f"{where}: {_show(instance)} must be greater than {value}"
    elif kind == "minItems":
        yield f"{where}: needs at least {value} item(s)"
    else:  # pragma: no cover - every keyword of the schema is handled above
        yield f"{where}: {error.message}"


def schema_problems(data: object) -> list[str]:
    """Every schema violation of `data`, one line each, sorted for stable output."""
    problems: set[str] = set()
    for error in _validator().iter_errors(data):
        problems.update(_messages(error))
    return sorted(problems)


# --------------------------------------------------------------------------- parsing


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def parse_assessment(data: object) -> Assessment:
    """Validate decoded JSON and build an `Assessment`; raise `InvalidInput` listing
    every problem (schema first, then dates that contradict `assessed_on`)."""
    problems = schema_problems(data)
    if problems:
        raise InvalidInput(problems)
    assert isinstance(data, dict)  # noqa: S101 - guaranteed by the schema
    assessment = _build(data)
    problems = _date_problems(assessment)
    if problems:
        raise InvalidInput(problems)
    return assessment


def _build(data: Mapping[str, Any]) -> Assessment:
    p = data["patient"]
    h = data.get("history", {})
    e = data.get("exam", {})
    iso = h.get("isotretinoin")
    device = data.get("device")
    return Assessment(
        assessed_on=date.fromisoformat(data["assessed_on"]),
        patient=Patient(
            birth_date=date.fromisoformat(p["birth_date"]),
            fitzpatrick=p["fitzpatrick"],
            pregnant=p.get("pregnant", False),
            nursing=p.get("nursing", False),
        ),
        history=History(
            isotretinoin=None
            if iso is None
            else Isotretinoin(iso["status"], _d(iso.get("stopped_on"))),
            anticoagulant=h.get("anticoagulant", False),
            bleeding_disorder=h.get("bleeding_disorder", False),
            keloid_tendency=h.get("keloid_tendency", False),
            immunosuppressed=h.get("immunosuppressed", False),
            diabetes=h.get("diabetes"),
            herpes_simplex_history=h.get("herpes_simplex_history", False),
            metal_allergy=h.get("metal_allergy", False),
            anaesthetic_allergy=h.get("anaesthetic_allergy", False),
            radiotherapy_to_area_on=_d(h.get("radiotherapy_to_area_on")),
            recent_procedures=tuple(
                Procedure(r["kind"], date.fromisoformat(r["on"]), r.get("area"))
                for r in h.get("recent_procedures", [])
            ),
        ),
        exam=Exam(
            active_infection_areas=tuple(e.get("active_infection_areas", [])),
            open_wound_areas=tuple(e.get("open_wound_areas", [])),
            skin_cancer_areas=tuple(e.get("skin_cancer_areas", [])),
            active_herpes=e.get("active_herpes", False),
            active_acne=e.get("active_acne"),
        ),
        scars=tuple(
            Scar(
                area=s["area"],
                kind=s["kind"],
                grade=s.get("grade"),
                count=s.get("count"),
                wound_closed_on=_d(s.get("wound_closed_on")),
            )
            for s in data["scars"]
        ),
        device=None
        if device is None
        else Device(device["name"], float(device["max_depth_mm"])),
        prior_sessions=tuple(
            PriorSession(
                on=date.fromisoformat(s["on"]),
                areas=tuple(
                    AreaDepth(a["area"], float(a["depth_mm"]))
                    for a in s.get("areas", [])
                ),
                reaction=s.get("reaction"),
            )
            for s in data.get("prior_sessions", [])
        ),
    )


def calendar_problems(a: Assessment) -> list[str]:
    """The assessment day must lie on the planning calendar: a series planned
    from a mistyped year (9999, 0001) would run past the last (or before the
    first) date there is."""
    on = a.assessed_on
    if wallclock.in_calendar(on):
        return []
    return [
        f"assessed_on: {on.isoformat()} is outside the dates a series can be "
        f"planned on ({wallclock.FIRST_DAY.isoformat()} to "
        f"{wallclock.LAST_DAY.isoformat()})"
    ]


def _date_problems(a: Assessment) -> list[str]:
    """Dates in the past tense (birth, stopping a drug, procedures, closed wounds,
    previous sessions) may not lie after the assessment day."""
    calendar = calendar_problems(a)
    if calendar:
        return calendar
    on = a.assessed_on
    dated: list[tuple[str, date | None]] = [
        ("patient.birth_date", a.patient.birth_date),
        ("history.radiotherapy_to_area_on", a.history.radiotherapy_to_area_on),
    ]
    if a.history.isotretinoin is not None:
        dated.append(
            ("history.isotretinoin.stopped_on", a.history.isotretinoin.stopped_on)
        )
    dated += [
        (f"history.recent_procedures[{i}].on", r.on)
        for i, r in enumerate(a.history.recent_procedures)
    ]
    dated += [
        (f"scars[{i}].wound_closed_on", s.wound_closed_on)
        for i, s in enumerate(a.scars)
    ]
    dated += [(f"prior_sessions[{i}].on", s.on) for i, s in enumerate(a.prior_sessions)]
    return [
        f"{path}: {when.isoformat()} is after assessed_on {on.isoformat()}"
        for path, when in dated
        if when is not None and when > on
    ]


def sorted_areas(areas: Sequence[str]) -> tuple[str, ...]:
    """Unique areas in the contract's canonical order."""
    return tuple(sorted(set(areas), key=AREA_ORDER.__getitem__))
