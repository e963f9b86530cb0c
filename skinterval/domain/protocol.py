"""Clinic protocols: a clinic's own overrides of the rule defaults.

A protocol (TOML) may change settings such as the isotretinoin wash-out, the interval
window, zone depth ranges and procedure spacing. Every override is validated against the
hard limits in the rules data (interval floor, zone depth caps, the orbital rim) and is
then cited as ``policy:<name>`` with the clinic's protocol name, never as evidence.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from skinterval.domain.errors import InvalidProtocol
from skinterval.domain.evidence import POLICY_PREFIX, Citation, clinic_policy_citation
from skinterval.domain.ruleset import Rules, SettingValue, SpacingRule, Zone

ZONE_KEY = "zone_depth_mm"
SPACING_KEY = "procedure_spacing_days"
INTERVAL_SETTINGS = ("interval_min_days", "interval_target_days", "interval_max_days")


@dataclass(frozen=True, slots=True)
class Protocol:
    """Validated overrides; empty means the rule defaults."""

    name: str = "Skinterval defaults"
    settings: tuple[tuple[str, SettingValue], ...] = ()
    zone_depth_mm: tuple[tuple[str, float, float], ...] = ()
    procedure_spacing_days: tuple[tuple[str, int], ...] = ()


DEFAULT_PROTOCOL = Protocol()


@dataclass(frozen=True, eq=False)
class ClinicRules:
    """The rules as one clinic applies them: values, and the evidence for each."""

    rules: Rules
    protocol: Protocol
    values: Mapping[str, SettingValue]
    sources: Mapping[str, tuple[str, ...]]
    zones: Mapping[str, Zone]
    spacing: Mapping[str, SpacingRule]
    citations: Mapping[str, Citation]

    def get_int(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)  # noqa: S101 - guaranteed by validation
        return value

    def get_num(self, name: str) -> float:
        value = self.values[name]
        assert isinstance(value, int | float)  # noqa: S101 - guaranteed by validation
        return float(value)

    def get_days(self, name: str) -> tuple[int, ...]:
        value = self.values[name]
        assert isinstance(value, tuple)  # noqa: S101 - guaranteed by validation
        return value


def loads_protocol(text: str, rules: Rules) -> Protocol:
    """Parse and validate a protocol from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidProtocol([f"protocol: not valid TOML: {exc}"]) from None
    return parse_protocol(data, rules)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_setting(rules: Rules, name: str, raw: object, problems: list[str]) -> None:
    setting = rules.settings[name]
    where = f"protocol.{name}"
    lo, hi = setting.low, setting.high
    if isinstance(setting.value, tuple):
        if not isinstance(raw, list) or not raw or not all(_is_int(v) for v in raw):
            problems.append(f"{where}: expected a non-empty list of whole days")
            return
        if any(not lo <= v <= hi for v in raw):
            problems.append(f"{where}: every value must be between {lo:g} and {hi:g}")
        if list(raw) != sorted(set(raw)):
            problems.append(f"{where}: values must be strictly increasing")
        return
    if isinstance(setting.value, int) and not _is_int(raw):
        problems.append(f"{where}: expected a whole number, got {raw!r}")
        return
    if not _is_num(raw):
        problems.append(f"{where}: expected a number, got {raw!r}")
        return
    assert isinstance(raw, int | float)  # noqa: S101 - checked just above
    floor = rules.limits.interval_floor_days
    if name in INTERVAL_SETTINGS and raw < floor:
        problems.append(
            f"{where}: {raw} days is below the hard safety floor of {floor} days"
        )
    elif name == "maintenance_every_days" and 0 < raw < floor:
        problems.append(
            f"{where}: {raw} days is below the hard safety floor of {floor} days "
            "(use 0 for no maintenance)"
        )
    elif not lo <= raw <= hi:
        problems.append(f"{where}: {raw} is outside the allowed range {lo:g} to {hi:g}")


def _check_zone(rules: Rules, area: str, raw: object, problems: list[str]) -> None:
    where = f"protocol.{ZONE_KEY}.{area}"
    zone = rules.zones.get(area)
    if zone is None:
        problems.append(
            f"{where}: unknown area (expected one of {', '.join(rules.zones)})"
        )
        return
    if zone.never:
        problems.append(f"{where}: this area is never needled (orbital rim)")
        return
    if not isinstance(raw, dict) or set(raw) != {"min", "max"}:
        problems.append(f"{where}: expected a table with exactly min and max (mm)")
        return
    lo, hi = raw["min"], raw["max"]
    if not (_is_num(lo) and _is_num(hi)):
        problems.append(f"{where}: min and max must be numbers of millimetres")
    elif hi > zone.cap_mm:
        problems.append(
            f"{where}.max: {hi} mm is above the zone cap of {zone.cap_mm} mm"
        )
    elif not 0 < lo <= hi:
        problems.append(f"{where}: need 0 < min <= max")


def _check_spacing(rules: Rules, kind: str, raw: object, problems: list[str]) -> None:
    where = f"protocol.{SPACING_KEY}.{kind}"
    rule = rules.spacing.get(kind)
    if rule is None:
        problems.append(
            f"{where}: unknown procedure (expected one of {', '.join(rules.spacing)})"
        )
    elif not _is_int(raw):
        problems.append(f"{where}: expected a whole number of days, got {raw!r}")
    else:
        assert isinstance(raw, int)  # noqa: S101 - checked just above
        if raw < rule.floor:
            problems.append(
                f"{where}: {raw} days is below the hard safety floor "
                f"of {rule.floor} days"
            )
        elif raw > 365:
            problems.append(f"{where}: {raw} days is above 365")


def parse_protocol(data: Mapping[str, Any], rules: Rules) -> Protocol:
    """Validate decoded protocol data; raise `InvalidProtocol` listing every problem."""
    problems: list[str] = []
    name = data.get("name", "clinic protocol")
    if not isinstance(name, str) or not name.strip():
        problems.append("protocol.name: expected a non-empty string")
        name = "clinic protocol"
    settings: list[tuple[str, SettingValue]] = []
    zones: list[tuple[str, float, float]] = []
    spacing: list[tuple[str, int]] = []
    for key, raw in data.items():
        if key == "name":
            continue
        if key == ZONE_KEY:
            if not isinstance(raw, dict):
                problems.append(f"protocol.{key}: expected a table of areas")
                continue
            for area, row in raw.items():
                before = len(problems)
                _check_zone(rules, area, row, problems)
                if len(problems) == before:
                    zones.append((area, float(row["min"]), float(row["max"])))
        elif key == SPACING_KEY:
            if not isinstance(raw, dict):
                problems.append(f"protocol.{key}: expected a table of procedures")
                continue
            for kind, days in raw.items():
                before = len(problems)
                _check_spacing(rules, kind, days, problems)
                if len(problems) == before:
                    spacing.append((kind, days))
        elif key in rules.settings:
            before = len(problems)
            _check_setting(rules, key, raw, problems)
            if len(problems) == before:
                value = tuple(raw) if isinstance(raw, list) else raw
                settings.append((key, value))
        else:
            known = [*rules.settings, ZONE_KEY, SPACING_KEY, "name"]
            problems.append(
                f"protocol.{key}: unknown setting (expected one of {', '.join(known)})"
            )
    values = {n: s.value for n, s in rules.settings.items()} | dict(settings)
    lo, target, hi = (values[n] for n in INTERVAL_SETTINGS)
    if not problems and not lo <= target <= hi:  # type: ignore[operator]
        problems.append(
            "protocol: need interval_min_days <= interval_target_days"
            " <= interval_max_days"
            f" (got {lo}, {target}, {hi})"
        )
    if problems:
        raise InvalidProtocol(problems)
    return Protocol(
        name=name.strip(),
        settings=tuple(sorted(settings)),
        zone_depth_mm=tuple(sorted(zones)),
        procedure_spacing_days=tuple(sorted(spacing)),
    )


@lru_cache(maxsize=64)
def apply_protocol(rules: Rules, protocol: Protocol) -> ClinicRules:
    """Resolve defaults and overrides once; overridden values cite the clinic policy."""
    citations = dict(rules.citations)

    def cite_clinic(name: str, value: object) -> tuple[str, ...]:
        citations[POLICY_PREFIX + name] = clinic_policy_citation(
            protocol.name, name, value
        )
        return (POLICY_PREFIX + name,)

    values = {n: s.value for n, s in rules.settings.items()}
    sources = {n: s.evidence for n, s in rules.settings.items()}
    for name, value in protocol.settings:
        values[name] = value
        shown = list(value) if isinstance(value, tuple) else value
        sources[name] = cite_clinic(name, shown)
    zones = dict(rules.zones)
    for area, lo, hi in protocol.zone_depth_mm:
        evidence = cite_clinic(f"{ZONE_KEY}.{area}", f"{lo:g}-{hi:g} mm")
        zones[area] = replace(zones[area], min_mm=lo, max_mm=hi, evidence=evidence)
    spacing = dict(rules.spacing)
    for kind, days in protocol.procedure_spacing_days:
        evidence = cite_clinic(f"{SPACING_KEY}.{kind}", days)
        spacing[kind] = replace(spacing[kind], days=days, evidence=evidence)
    return ClinicRules(
        rules=rules,
        protocol=protocol,
        values=MappingProxyType(values),
        sources=MappingProxyType(sources),
        zones=MappingProxyType(zones),
        spacing=MappingProxyType(spacing),
        citations=MappingProxyType(citations),
    )
