"""Message delivery lag (issue: reminders): due time → sent, p99 and p50.

Each database gets its own subprocess (bench/messages_worker.py) with the
project's real settings and real `send_due_messages` worker processes; SQLite in
var/bench/messages/, PostgreSQL in the `skinterval_bench_messages` database on the
server of BENCH_DATABASE_URL (skipped, and said so, when none is reachable).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.bench_scheduling import PG_URL, _ensure_pg_database
from bench.results import Result

ROOT = Path(__file__).resolve().parent.parent
PG_MESSAGES_URL = PG_URL.rpartition("/")[0] + "/skinterval_bench_messages"


def _run(db: str, env: dict[str, str]) -> list[Result]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.messages_worker", db],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return [Result(**row) for row in json.loads(completed.stdout)]


def run() -> list[Result]:
    sqlite_dir = ROOT / "var" / "bench" / "messages"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    (sqlite_dir / "sent.jsonl").unlink(missing_ok=True)
    common = {
        "DJANGO_EMAIL_BACKEND": "skinterval.reminders.mail.JsonLinesEmailBackend",
        "SKINTERVAL_EMAIL_FILE": str(sqlite_dir / "sent.jsonl"),
    }
    results = _run(
        "sqlite",
        {**common, "DATABASE_URL": "", "SKINTERVAL_VAR_DIR": str(sqlite_dir)},
    )
    if _ensure_pg_database(PG_MESSAGES_URL):
        results += _run("postgres", {**common, "DATABASE_URL": PG_MESSAGES_URL})
    return results
