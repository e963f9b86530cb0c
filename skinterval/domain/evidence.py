"""Evidence ids and their citations.

Rules name their sources by id: ``S<n>`` for the reference list of the evidence
brief, ``policy:<name>`` for a value with no published support (a Skinterval
default, or a clinic's protocol once overridden). Citations live in the rules
data, so a plan can carry exactly the citations it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from skinterval.domain.errors import RulesError

POLICY_PREFIX = "policy:"
_ID = re.compile(r"^(S\d+|policy:[a-z0-9_.]+)$")
_S_NUMBER = re.compile(r"^S(\d+)$")


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from; `verified` is false for unverified tables."""

    id: str
    citation: str
    grade: str
    url: str | None = None
    verified: bool = True
    note: str | None = None


def is_policy(evidence_id: str) -> bool:
    return evidence_id.startswith(POLICY_PREFIX)


@cache
def id_sort_key(evidence_id: str) -> tuple[int, int, str]:
    """Sources first in numeric order (S2 before S10), then policies by name.
    Cached: the set of ids is small and sorting them is the planner's hot path."""
    match = _S_NUMBER.match(evidence_id)
    if match:
        return (0, int(match.group(1)), "")
    return (1, 0, evidence_id)


def sort_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """Unique ids in a stable, readable order."""
    return tuple(sorted(set(ids), key=id_sort_key))


def load_citations(
    sources: Mapping[str, Any], policies: Mapping[str, Any]
) -> dict[str, Citation]:
    """Build the id -> citation table from the rules data's `evidence` and `policy`."""
    table: dict[str, Citation] = {}
    for sid, row in sources.items():
        if not _ID.match(sid) or is_policy(sid):
            raise RulesError(f"evidence id {sid!r} is not of the form S<n>")
        table[sid] = Citation(
            id=sid,
            citation=str(row["citation"]),
            grade=str(row.get("grade", "UNGRADED")),
            url=row.get("url"),
            verified=bool(row.get("verified", True)),
            note=row.get("note"),
        )
    for name, text in policies.items():
        pid = POLICY_PREFIX + name
        if not _ID.match(pid):
            raise RulesError(f"policy name {name!r} is not a valid id")
        table[pid] = default_policy_citation(name, str(text))
    return table


def default_policy_citation(name: str, text: str) -> Citation:
    return Citation(
        id=POLICY_PREFIX + name,
        citation=(
            f"Skinterval default policy '{name}' (clinic policy, not evidence): {text}"
        ),
        grade="POLICY",
    )


def clinic_policy_citation(protocol_name: str, name: str, value: object) -> Citation:
    return Citation(
        id=POLICY_PREFIX + name,
        citation=f"Clinic protocol '{protocol_name}': {name} = {value}",
        grade="POLICY",
    )
