"""The result record every benchmark returns (contract: shared/contracts §2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Result:
    """One measured figure: a stable `name`, its `value` and `unit`, and the `params`
    that make it reproducible (database, sizes, seed)."""

    name: str
    value: float
    unit: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
