"""The clinical rules, loaded from the versioned data file ``rules/default.toml``.

Rules are data so that a practitioner can audit them (docs/clinical-rules.md)
and so that every change bumps `rules_version`. Loading checks the data's own
consistency: every evidence id resolves, every area and procedure kind has a rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from skinterval.domain.assessment import AREAS, PROCEDURE_KINDS, REACTIONS, SCAR_KINDS
from skinterval.domain.errors import RulesError
from skinterval.domain.evidence import Citation, load_citations

SEVERITIES: tuple[str, ...] = ("block", "defer", "review", "caution", "info")
SettingValue = int | float | tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    interval_floor_days: int
    interval_ceiling_days: int
    interval_floor_evidence: tuple[str, ...]
    scar_age_floor_days: int
    depth_minimum_mm: float
    response_judge_after_days: int
    response_judge_evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Setting:
    """A default a clinic protocol may override, within `low`..`high`."""

    name: str
    value: SettingValue
    low: float
    high: float
    evidence: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Indication:
    code: str
    label: str
    kinds: tuple[str, ...]
    sessions_min: int
    sessions_max: int
    sessions_default: int
    sessions_by_grade: Mapping[int, int]
    maturity_setting: str | None
    auto_plan: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Zone:
    area: str
    never: bool
    min_mm: float
    max_mm: float
    cap_mm: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceRule:
    match: str
    labelled_max_depth_mm: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingRule:
    code: str
    severity: str
    message: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReactionRule:
    kind: str
    hold: bool
    lengthen: bool
    lower_depth: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpacingRule:
    kind: str
    days: int
    floor: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AdjunctRule:
    code: str
    when: str
    timing: str
    min_gap_days: int | None
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AftercareRow:
    from_day: int
    to_day: int
    advice: str
    basis: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Rules:
    """One version of the rules. Compared and hashed by identity (it is loaded once)."""

    rules_version: str
    limits: Limits
    settings: Mapping[str, Setting]
    indications: tuple[Indication, ...]
    indication_of_kind: Mapping[str, Indication]
    zones: Mapping[str, Zone]
    devices: tuple[DeviceRule, ...]
    findings: Mapping[str, FindingRule]
    reactions: Mapping[str, ReactionRule]
    spacing: Mapping[str, SpacingRule]
    adjuncts: tuple[AdjunctRule, ...]
    aftercare: tuple[AftercareRow, ...]
    citations: Mapping[str, Citation]
    data: Mapping[str, Any]


def _ids(row: Mapping[str, Any], key: str = "evidence") -> tuple[str, ...]:
    return tuple(str(i) for i in row.get(key, ()))


def _setting_value(raw: object) -> SettingValue:
    if isinstance(raw, list):
        return tuple(int(v) for v in raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise RulesError(f"setting value {raw!r} is not a number or list")
    return raw


def build_rules(data: Mapping[str, Any]) -> Rules:
    """Turn decoded rules data into `Rules`, checking its consistency."""
    lim = data["limits"]
    indications = tuple(
        Indication(
            code=code,
            label=row["label"],
            kinds=tuple(row["kinds"]),
            sessions_min=row["sessions_min"],
            sessions_max=row["sessions_max"],
            sessions_default=row["sessions_default"],
            sessions_by_grade=MappingProxyType(
                {int(k): int(v) for k, v in row.get("sessions_by_grade", {}).items()}
            ),
            maturity_setting=row.get("maturity_setting"),
            auto_plan=row.get("auto_plan", True),
            evidence=_ids(row),
        )
        for code, row in data["indications"].items()
    )
    rules = Rules(
        rules_version=str(data["rules_version"]),
        limits=Limits(
            interval_floor_days=lim["interval_floor_days"],
            interval_ceiling_days=lim["interval_ceiling_days"],
            interval_floor_evidence=_ids(lim, "interval_floor_evidence"),
            scar_age_floor_days=lim["scar_age_floor_days"],
            depth_minimum_mm=lim["depth_minimum_mm"],
            response_judge_after_days=lim["response_judge_after_days"],
            response_judge_evidence=_ids(lim, "response_judge_evidence"),
        ),
        settings=MappingProxyType(
            {
                name: Setting(
                    name=name,
                    value=_setting_value(row["value"]),
                    low=row["min"],
                    high=row["max"],
                    evidence=_ids(row),
                    text=row["text"],
                )
                for name, row in data["settings"].items()
            }
        ),
        indications=indications,
        indication_of_kind=MappingProxyType(
            {kind: ind for ind in indications for kind in ind.kinds}
        ),
        zones=MappingProxyType(
            {
                area: Zone(
                    area=area,
                    never=row.get("never", False),
                    min_mm=float(row["min"]),
                    max_mm=float(row["max"]),
                    cap_mm=float(row["cap"]),
                    evidence=_ids(row),
                )
                for area, row in data["zones"].items()
            }
        ),
        devices=tuple(
            DeviceRule(
                row["match"].lower(), float(row["labelled_max_depth_mm"]), _ids(row)
            )
            for row in data.get("devices", [])
        ),
        findings=MappingProxyType(
            {
                key: FindingRule(
                    code=row.get("code", key),
                    severity=row["severity"],
                    message=row["message"],
                    evidence=_ids(row),
                )
                for key, row in data["findings"].items()
            }
        ),
        reactions=MappingProxyType(
            {
                kind: ReactionRule(
                    kind, row["hold"], row["lengthen"], row["lower_depth"], _ids(row)
                )
                for kind, row in data["reactions"].items()
            }
        ),
        spacing=MappingProxyType(
            {
                kind: SpacingRule(kind, row["days"], row.get("floor", 0), _ids(row))
                for kind, row in data["procedure_spacing"].items()
            }
        ),
        adjuncts=tuple(
            AdjunctRule(
                code=row["code"],
                when=row["when"],
                timing=row["timing"],
                min_gap_days=row.get("min_gap_days"),
                reason=row["reason"],
                evidence=_ids(row),
            )
            for row in data["adjuncts"]
        ),
        aftercare=tuple(
            AftercareRow(
                row["from_day"], row["to_day"], row["advice"], row["basis"], _ids(row)
            )
            for row in data["aftercare"]
        ),
        citations=MappingProxyType(load_citations(data["evidence"], data["policy"])),
        data=MappingProxyType(dict(data)),
    )
    check_rules(rules)
    return rules


def referenced_ids(rules: Rules) -> set[str]:
    """Every evidence id the rules name anywhere."""
    lim = rules.limits
    groups: list[tuple[str, ...]] = [
        lim.interval_floor_evidence,
        lim.response_judge_evidence,
        *(s.evidence for s in rules.settings.values()),
        *(i.evidence for i in rules.indications),
        *(z.evidence for z in rules.zones.values()),
        *(d.evidence for d in rules.devices),
        *(f.evidence for f in rules.findings.values()),
        *(r.evidence for r in rules.reactions.values()),
        *(s.evidence for s in rules.spacing.values()),
        *(a.evidence for a in rules.adjuncts),
        *(a.evidence for a in rules.aftercare),
    ]
    return {i for group in groups for i in group}


def check_rules(rules: Rules) -> None:
    """Raise `RulesError` listing every inconsistency in the rules data."""
    problems: list[str] = []
    missing = sorted(referenced_ids(rules) - set(rules.citations))
    if missing:
        problems.append(f"evidence ids without a citation: {', '.join(missing)}")
    if set(rules.zones) != set(AREAS):
        problems.append("zones must name every area exactly once")
    if set(rules.spacing) != set(PROCEDURE_KINDS):
        problems.append("procedure_spacing must name every procedure kind")
    if set(rules.indication_of_kind) != set(SCAR_KINDS):
        problems.append("indications must cover every scar kind exactly")
    if set(rules.reactions) | {"expected"} != set(REACTIONS):
        problems.append("reactions must name every adverse reaction kind")
    for key, f in rules.findings.items():
        if f.severity not in SEVERITIES:
            problems.append(f"findings.{key}: unknown severity {f.severity!r}")
    for z in rules.zones.values():
        if not z.never and not 0 < z.min_mm <= z.max_mm <= z.cap_mm:
            problems.append(f"zones.{z.area}: need 0 < min <= max <= cap")
    for ind in rules.indications:
        if ind.maturity_setting and ind.maturity_setting not in rules.settings:
            problems.append(f"indications.{ind.code}: unknown maturity_setting")
        counts = [ind.sessions_by_grade[g] for g in sorted(ind.sessions_by_grade)]
        if counts != sorted(counts):
            problems.append(f"indications.{ind.code}: sessions must grow with grade")
    if problems:
        raise RulesError("; ".join(problems))


@cache
def load_rules(name: str = "default.toml") -> Rules:
    """The packaged rules (loaded once per process)."""
    text = resources.files("skinterval.domain.rules").joinpath(name).read_text()
    return build_rules(tomllib.loads(text))
