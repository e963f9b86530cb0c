"""Planning throughput: plans per second on one core, from parsed assessments.

A fixed seed builds a varied set of assessments (every scar kind and area, grades,
devices, history items, recent procedures, previous sessions with reactions). They
are parsed once; the timed part is `plan_series` turning them into plan objects.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

from bench.results import Result
from skinterval.domain.assessment import (
    AREAS,
    PROCEDURE_KINDS,
    REACTIONS,
    SCAR_KINDS,
    Assessment,
    parse_assessment,
)
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL
from skinterval.domain.ruleset import load_rules

SEED = 20250301
ASSESSMENTS = 500
MIN_SECONDS = 2.0


def _day(rng: random.Random, on: date, max_back: int) -> str:
    return (on - timedelta(rng.randint(0, max_back))).isoformat()


def build_assessment(rng: random.Random) -> dict[str, Any]:
    on = date(2025, 1, 1) + timedelta(rng.randint(0, 365))
    scars = [
        {
            "area": rng.choice(AREAS),
            "kind": rng.choice(SCAR_KINDS),
            "grade": rng.randint(1, 4),
            "count": rng.randint(0, 40),
            "wound_closed_on": _day(rng, on, 300),
        }
        for _ in range(rng.randint(1, 4))
    ]
    history: dict[str, Any] = {
        "herpes_simplex_history": rng.random() < 0.2,
        "anticoagulant": rng.random() < 0.05,
        "keloid_tendency": rng.random() < 0.05,
        "diabetes": rng.choice(["none", "none", "controlled", "uncontrolled"]),
        "recent_procedures": [
            {"kind": rng.choice(PROCEDURE_KINDS), "on": _day(rng, on, 120)}
            for _ in range(rng.randint(0, 2))
        ],
    }
    if rng.random() < 0.2:
        history["isotretinoin"] = {
            "status": "stopped",
            "stopped_on": _day(rng, on, 400),
        }
    raw: dict[str, Any] = {
        "assessed_on": on.isoformat(),
        "patient": {
            "birth_date": _day(rng, on - timedelta(18 * 365), 50 * 365),
            "fitzpatrick": rng.randint(1, 6),
            "pregnant": rng.random() < 0.02,
        },
        "history": history,
        "exam": {"active_acne": rng.choice(["none", "none", "mild"])},
        "scars": scars,
    }
    if rng.random() < 0.7:
        raw["device"] = {
            "name": rng.choice(["SkinPen Precision", "Dermapen 4", "roller"]),
            "max_depth_mm": rng.choice([1.0, 1.5, 2.0, 2.5]),
        }
    if rng.random() < 0.3:
        raw["prior_sessions"] = [
            {
                "on": _day(rng, on, 200),
                "areas": [{"area": scars[0]["area"], "depth_mm": 1.5}],
                "reaction": rng.choice(REACTIONS),
            }
        ]
    return raw


def seed_assessments(n: int = ASSESSMENTS, seed: int = SEED) -> list[Assessment]:
    rng = random.Random(seed)
    return [parse_assessment(build_assessment(rng)) for _ in range(n)]


def run() -> list[Result]:
    rules = load_rules()
    assessments = seed_assessments()
    for a in assessments[:50]:  # warm caches (protocol resolution, imports)
        plan_series(a, DEFAULT_PROTOCOL, rules)
    plans = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < MIN_SECONDS:
        for a in assessments:
            plan_series(a, DEFAULT_PROTOCOL, rules)
        plans += len(assessments)
        elapsed = time.perf_counter() - started
    return [
        Result(
            name="plan_throughput_per_s",
            value=round(plans / elapsed, 1),
            unit="plans/s",
            params={
                "assessments": len(assessments),
                "seed": SEED,
                "cores": 1,
                "plans": plans,
                "rules_version": rules.rules_version,
            },
        )
    ]


if __name__ == "__main__":
    for result in run():
        print(result.as_json())
