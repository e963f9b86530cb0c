"""The rules data: consistency, versioning, and the packaged schema copies."""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from skinterval.domain.assessment import (
    AREAS,
    PROCEDURE_KINDS,
    REACTIONS,
    SCAR_KINDS,
)
from skinterval.domain.contracts import load_schema
from skinterval.domain.errors import RulesError
from skinterval.domain.ruleset import build_rules, load_rules, referenced_ids

# rules_version -> sha256 of rules/default.toml. When the rules change, bump
# `rules_version` in the file and record its new fingerprint here.
RULES_FINGERPRINTS = {
    "2025.1": "a00f3f9f524c0b1cc4ae06826ba0d0238b20698e3b71d2043e110faafda6d101",
}
CONTRACTS = Path(__file__).resolve().parents[4] / "shared" / "contracts"


def _rules_bytes() -> bytes:
    return (
        resources.files("skinterval.domain.rules").joinpath("default.toml").read_bytes()
    )


def test_rules_version_changes_when_rules_change():
    rules = load_rules()
    digest = hashlib.sha256(_rules_bytes()).hexdigest()
    assert RULES_FINGERPRINTS.get(rules.rules_version) == digest, (
        f"rules changed: bump rules_version and record {digest}"
    )


def test_every_referenced_id_has_a_citation():
    rules = load_rules()
    assert referenced_ids(rules) <= set(rules.citations)


def test_unverified_scale_tables_are_marked():
    rules = load_rules()
    assert rules.citations["S98"].verified is False
    assert rules.citations["S99"].verified is False
    assert rules.data["scales"]["goodman_baron_quantitative"]["verified"] is False
    assert rules.data["scales"]["ecca"]["verified"] is False


def test_consumer_depth_charts_are_not_used_for_depths():
    rules = load_rules()
    for zone in rules.zones.values():
        assert not {"S47", "S48"} & set(zone.evidence)


def test_orbital_rim_is_never_needled():
    assert load_rules().zones["periorbital"].never


def test_severity_never_shortens_the_interval():
    # Only settings, not indications, carry interval values.
    data = tomllib.loads(_rules_bytes().decode())
    for row in data["indications"].values():
        assert not any("interval" in key for key in row)


def test_vocabularies_match_the_contract_schema():
    schema = load_schema("assessment.schema.json")
    scar = schema["properties"]["scars"]["items"]["properties"]
    assert tuple(scar["area"]["enum"]) == AREAS
    assert tuple(scar["kind"]["enum"]) == SCAR_KINDS
    procs = schema["properties"]["history"]["properties"]["recent_procedures"]
    assert tuple(procs["items"]["properties"]["kind"]["enum"]) == PROCEDURE_KINDS
    session = schema["properties"]["prior_sessions"]["items"]["properties"]
    assert tuple(session["reaction"]["enum"]) == REACTIONS


@pytest.mark.parametrize("name", ["assessment.schema.json", "plan.schema.json"])
def test_packaged_schemas_are_verbatim_contract_copies(name):
    original = CONTRACTS / name
    if not original.exists():
        pytest.skip("shared contracts not present beside the repository")
    packaged = resources.files("skinterval.domain.schemas").joinpath(name).read_bytes()
    assert packaged == original.read_bytes()
    assert json.loads(packaged)


def test_inconsistent_rules_are_refused():
    data = tomllib.loads(_rules_bytes().decode())
    data["zones"]["cheeks"]["evidence"] = ["S999"]
    with pytest.raises(RulesError, match="S999"):
        build_rules(data)


def test_clinical_rules_doc_names_every_finding_and_setting():
    doc = Path(__file__).resolve().parents[3] / "docs" / "clinical-rules.md"
    if not doc.exists():
        pytest.skip("docs not present in this installation")
    text = doc.read_text()
    rules = load_rules()
    assert rules.rules_version in text
    for finding in rules.findings.values():
        assert f"`{finding.code}`" in text
    for name in rules.settings:
        assert f"`{name}`" in text
