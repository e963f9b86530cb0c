"""Practitioner overrides of a generated plan: checked, then planned again.

An override never edits a stored plan. The values a practitioner asks for are checked
against the rules' hard limits, then the engine runs again on the plan's stored
assessment with a one-off clinic `Protocol` that carries them, and the result is
stored as a new version (`services.override_plan`). Going through the engine keeps
everything that depends on a value consistent with it: the session windows follow an
overridden interval, the "next session from" finding follows an overridden minimum,
and every overridden value is cited as ``policy:<name>`` of the protocol
"practitioner override" — never as evidence.

- **Interval window** → the protocol's ``interval_min_days`` / ``interval_target_days``
  / ``interval_max_days``. The window the practitioner types is the window planned:
  when an earlier adverse reaction would lengthen the interval, the protocol also sets
  ``reaction_interval_extension_days = 0`` so that the extension is not added on top
  of a window that already includes it (the form starts from the lengthened window).
- **Depth per treated area** → the protocol's ``zone_depth_mm.<area>``. The device's
  maximum and a depth lowered after an adverse reaction still apply after the zone;
  when they would change the typed range, the override is refused (with the depth
  the plan allows) rather than stored as something other than what was typed.
- **Number of sessions** has no protocol setting (the engine derives it from the
  indications and the worst grade), so it is applied to the engine's result: the
  count must lie within the published range in the plan's ``sessions`` block (and be
  at least 1); the schedule is re-chained from the same first day with the plan's
  interval window (`chain_schedule`, the engine's own function), and a reason citing
  ``policy:sessions_planned`` is added. A plan with no schedule (declined, or deferred
  without an end date) has no count to change.

Every override in a version's lineage (the versions it was made from by overrides)
is applied again, so a later override never undoes an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from skinterval.domain.assessment import Assessment
from skinterval.domain.errors import InvalidProtocol
from skinterval.domain.evidence import clinic_policy_citation, id_sort_key
from skinterval.domain.plan import (
    DepthRange,
    IntervalWindow,
    Reason,
    SeriesPlan,
    chain_schedule,
)
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import (
    DEFAULT_PROTOCOL,
    INTERVAL_SETTINGS,
    ZONE_KEY,
    apply_protocol,
    parse_protocol,
)
from skinterval.domain.ruleset import Rules
from skinterval.domain.screening import reaction_extension_days

PROTOCOL_NAME = "practitioner override"
SESSIONS_POLICY = "sessions_planned"
REASON_MAX_CHARS = 2000
INTERVAL_FIELDS = INTERVAL_SETTINGS  # interval_min_days, _target_days, _max_days
SESSIONS_FIELD = "sessions_planned"
DEPTH_TOLERANCE_MM = 0.005  # the engine rounds depths to 0.01 mm

# Field name (as in `PlanOverrideForm`) -> messages; None for the form as a whole.
FieldErrors = dict[str | None, list[str]]


class InvalidOverride(Exception):
    """Values that cross a hard limit or that the plan cannot take; one list of
    messages per form field (None: about the override as a whole)."""

    def __init__(self, errors: Mapping[str | None, Iterable[str]]) -> None:
        self.errors: FieldErrors = {k: list(v) for k, v in errors.items()}
        super().__init__(
            "; ".join(m for messages in self.errors.values() for m in messages)
        )


def depth_field(area: str, end: str) -> str:
    """Form field name of one end (``min``/``max``) of an area's depth range."""
    return f"depth_{end}_mm_{area}"


@dataclass(frozen=True)
class PlanChanges:
    """Overridable elements of a plan; None (or an absent area) means "as planned"."""

    interval_days: IntervalWindow | None = None
    sessions: int | None = None
    depth_mm: Mapping[str, DepthRange] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return (
            self.interval_days is None and self.sessions is None and not self.depth_mm
        )


def current_values(data: Mapping[str, Any]) -> PlanChanges:
    """The overridable elements of a stored plan (its engine-output JSON): the
    interval, the session count when sessions are scheduled, each treated area's
    depth."""
    iv = data.get("interval_days") or {}
    interval = (
        IntervalWindow(int(iv["min"]), int(iv["target"]), int(iv["max"]))
        if {"min", "target", "max"} <= set(iv)
        else None
    )
    sessions = (
        int(data.get("sessions", {}).get("planned", 0))
        if data.get("schedule")
        else None
    )
    depths = {
        row["area"]: DepthRange(
            float(row["depth_mm"]["min"]), float(row["depth_mm"]["max"])
        )
        for row in data.get("areas", [])
        if row.get("treat") and row.get("depth_mm")
    }
    return PlanChanges(interval, sessions, depths)


def _same_depth(a: DepthRange, b: DepthRange) -> bool:
    return (
        abs(a.min - b.min) < DEPTH_TOLERANCE_MM
        and abs(a.max - b.max) < DEPTH_TOLERANCE_MM
    )


def changed(requested: PlanChanges, current: PlanChanges) -> PlanChanges:
    """Only the requested elements that differ from the current plan."""
    depth = {
        area: wanted
        for area, wanted in requested.depth_mm.items()
        if area not in current.depth_mm
        or not _same_depth(wanted, current.depth_mm[area])
    }
    return PlanChanges(
        interval_days=None
        if requested.interval_days == current.interval_days
        else requested.interval_days,
        sessions=None if requested.sessions == current.sessions else requested.sessions,
        depth_mm=depth,
    )


def merged(earlier: PlanChanges, later: PlanChanges) -> PlanChanges:
    """Earlier overrides with later ones on top (per element, the later wins)."""
    return PlanChanges(
        interval_days=earlier.interval_days
        if later.interval_days is None
        else later.interval_days,
        sessions=later.sessions if later.sessions is not None else earlier.sessions,
        depth_mm={**earlier.depth_mm, **later.depth_mm},
    )


def check_limits(
    changes: PlanChanges, data: Mapping[str, Any], rules: Rules
) -> FieldErrors:
    """Messages for every changed value that crosses a hard limit of the rules (or
    that the plan `data` cannot take), keyed by form field."""
    errors: FieldErrors = {}

    def add(key: str | None, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if changes.interval_days is not None:
        _check_interval(changes.interval_days, rules, add)
    if changes.sessions is not None:
        _check_sessions(changes.sessions, data, add)
    treated = current_values(data).depth_mm
    for area, depth in changes.depth_mm.items():
        zone = rules.zones.get(area)
        if area not in treated or zone is None or zone.never:
            add(None, _("%(area)s is not treated in this plan.") % {"area": area})
            continue
        lo_field, hi_field = depth_field(area, "min"), depth_field(area, "max")
        if depth.min <= 0:
            add(lo_field, _("A depth must be more than 0 mm."))
        if depth.max <= 0:
            add(hi_field, _("A depth must be more than 0 mm."))
        elif depth.max > zone.cap_mm:
            add(
                hi_field,
                _("At most %(cap)s mm: the hard cap for this zone.")
                % {"cap": f"{zone.cap_mm:g}"},
            )
        if 0 < depth.max < depth.min:
            add(lo_field, _("The shallowest depth cannot be deeper than the deepest."))
    return errors


def _check_interval(iv: IntervalWindow, rules: Rules, add: Any) -> None:
    floor = rules.limits.interval_floor_days
    ceiling = rules.limits.interval_ceiling_days
    bad = False
    for name, days in zip(INTERVAL_FIELDS, (iv.min, iv.target, iv.max), strict=True):
        if days < floor:
            add(
                name,
                _(
                    "At least %(floor)s days: the shortest interval with published "
                    "support (a hard limit)."
                )
                % {"floor": floor},
            )
            bad = True
        elif days > ceiling:
            add(name, _("At most %(ceiling)s days.") % {"ceiling": ceiling})
            bad = True
    if bad:
        return
    if iv.min > iv.target:
        add(INTERVAL_FIELDS[0], _("The shortest interval cannot exceed the target."))
    if iv.target > iv.max:
        add(INTERVAL_FIELDS[2], _("The longest interval cannot be below the target."))


def _check_sessions(count: int, data: Mapping[str, Any], add: Any) -> None:
    if not data.get("schedule"):
        add(
            SESSIONS_FIELD,
            _(
                "No sessions are scheduled in this plan (treatment is declined, or "
                "deferred without an end date), so their number cannot be changed."
            ),
        )
        return
    block = data.get("sessions", {})
    low, high = max(1, int(block.get("min", 1))), int(block.get("max", 0))
    if not low <= count <= high:
        add(
            SESSIONS_FIELD,
            _("Between %(low)s and %(high)s: the published range for these scars.")
            % {"low": low, "high": high},
        )


def replan(assessment: Assessment, effective: PlanChanges, rules: Rules) -> SeriesPlan:
    """The engine's plan for `assessment` with every effective override applied.

    Raises `InvalidOverride` when the protocol is refused by the engine (a defect:
    `check_limits` refuses the same values first) or when the plan has no schedule
    whose session count could change."""
    data: dict[str, Any] = {"name": PROTOCOL_NAME}
    if effective.interval_days is not None:
        iv = effective.interval_days
        data |= dict(zip(INTERVAL_FIELDS, (iv.min, iv.target, iv.max), strict=True))
        if reaction_extension_days(assessment, apply_protocol(rules, DEFAULT_PROTOCOL)):
            data["reaction_interval_extension_days"] = 0
    if effective.depth_mm:
        data[ZONE_KEY] = {
            area: {"min": d.min, "max": d.max} for area, d in effective.depth_mm.items()
        }
    try:
        protocol = parse_protocol(data, rules)
    except InvalidProtocol as exc:
        raise InvalidOverride({None: exc.problems}) from None
    result = plan_series(assessment, protocol, rules)
    if effective.sessions is not None:
        result = with_sessions(
            result,
            effective.sessions,
            apply_protocol(rules, protocol).get_int("first_session_window_days"),
        )
    return result


def with_sessions(result: SeriesPlan, count: int, first_window_days: int) -> SeriesPlan:
    """`result` with `count` sessions, re-chained from the same first day, and the
    count cited as the practitioner's policy."""
    if not result.schedule:
        raise InvalidOverride(
            {SESSIONS_FIELD: [_("No sessions are scheduled in this plan.")]}
        )
    schedule = chain_schedule(
        result.schedule[0].earliest_on,
        count,
        result.interval_days,
        first_window_days,
    )
    citation = clinic_policy_citation(PROTOCOL_NAME, SESSIONS_POLICY, count)
    suggested = result.sessions
    reason = Reason(
        f"A practitioner set {count} sessions instead of the {suggested.planned} "
        f"suggested, within the published range of {suggested.min}-{suggested.max}.",
        (citation.id,),
    )
    evidence = sorted(
        [*(c for c in result.evidence if c.id != citation.id), citation],
        key=lambda c: id_sort_key(c.id),
    )
    return replace(
        result,
        sessions=replace(suggested, planned=count),
        schedule=schedule,
        rationale=(*result.rationale, reason),
        evidence=tuple(evidence),
    )


def check_reflected(result: SeriesPlan, effective: PlanChanges) -> FieldErrors:
    """Messages for overridden values the new plan does not carry as typed: a
    depth the device or an earlier adverse reaction limits further."""
    errors: FieldErrors = {}
    if (
        effective.interval_days is not None
        and result.interval_days != effective.interval_days
    ):
        errors[INTERVAL_FIELDS[1]] = [
            _("The plan cannot take this interval window (it came out as %(got)s).")
            % {
                "got": f"{result.interval_days.min}/{result.interval_days.target}/"
                f"{result.interval_days.max}"
            }
        ]
    areas = {row.area: row for row in result.areas}
    for area, wanted in effective.depth_mm.items():
        row = areas.get(area)
        if row is None or row.depth_mm is None:
            errors.setdefault(None, []).append(
                _("%(area)s is not treated in this plan.") % {"area": area}
            )
        elif not _same_depth(row.depth_mm, wanted):
            errors.setdefault(depth_field(area, "max"), []).append(
                _(
                    "This plan allows at most %(max)s mm here: the device's maximum "
                    "or a depth lowered after an adverse reaction limits it."
                )
                % {"max": f"{row.depth_mm.max:g}"}
            )
    return errors
