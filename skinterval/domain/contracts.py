"""The shared/contracts JSON Schemas, as packaged verbatim in `domain/schemas`, and
the one way problems in JSON input are located: `scars[0].area`, `series[3].id`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A contract schema, from the verbatim copy packaged in `domain/schemas`."""
    text = resources.files("skinterval.domain.schemas").joinpath(name).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def format_path(parts: Iterable[str | int]) -> str:
    """`["scars", 0, "area"]` -> `scars[0].area`; the empty path is `(root)`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"
