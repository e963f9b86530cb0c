"""Scheduling benchmarks on SQLite and PostgreSQL (issue: scheduling).

Each database gets its own subprocess (bench/scheduling_worker.py) with the
project's real settings; the generated clinic stays in var/bench/ (SQLite) and in
the `skinterval_bench` database (PostgreSQL) between runs. PostgreSQL is
BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/skinterval_bench;
without a reachable server its figures are left out and the run says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.results import Result

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/skinterval_bench"
)


def _ensure_pg_database(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(
            f"{base}/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(
            f"[bench]   PostgreSQL not reachable ({exc}); its figures are skipped",
            file=sys.stderr,
        )
        return False
    return True


def _run(db: str, env: dict[str, str]) -> list[Result]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.scheduling_worker", db],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return [Result(**row) for row in json.loads(completed.stdout)]


def run() -> list[Result]:
    results = _run(
        "sqlite",
        {
            "DATABASE_URL": "",
            "SKINTERVAL_VAR_DIR": str(ROOT / "var" / "bench" / "sqlite"),
        },
    )
    if _ensure_pg_database(PG_URL):
        results += _run("postgres", {"DATABASE_URL": PG_URL})
    return results
