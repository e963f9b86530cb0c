"""Crash test: 1,000 messages due, workers killed with SIGKILL at random points
and restarted; afterwards every due message was handed over, none twice by
Message-ID, and none for a cancelled appointment.

Real `manage.py send_due_messages` processes work on a SQLite file in a temporary
folder and hand email to `JsonLinesEmailBackend`, which appends one line per
hand-over: the file shows every delivery attempt, duplicates included. Two
workers run at once; each kill takes a worker wherever it is (claiming, checking,
sending, marking) once it has been sending for a random number of messages, and
a new one starts in its place. Leases are 2 s, so a dead worker's rows go back to
the others quickly. Runs in the SQLite pass of `make test` (about 30 s).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
DUE, CANCELLED, SILENT = 1000, 100, 50
KILLS = 6
SEED = 20270104


def _env(tmp: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "SKINTERVAL_"))
    }
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "crash-test-only",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": "",
        "SKINTERVAL_VAR_DIR": str(tmp),
        "DJANGO_EMAIL_BACKEND": "skinterval.reminders.mail.JsonLinesEmailBackend",
        "SKINTERVAL_EMAIL_FILE": str(tmp / "sent.jsonl"),
        "LOG_LEVEL": "ERROR",
    }


def _deliveries(path: Path) -> list[str]:
    """Message-IDs handed over so far. A line still being written while we read
    (a worker is alive) has no newline yet: only whole lines count."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text[: text.rfind("\n") + 1].splitlines()
    return [json.loads(line)["message_id"] for line in lines if line.strip()]


def _open_confirmations(db: Path) -> int:
    with sqlite3.connect(db, timeout=20) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM reminders_outboxmessage "
            "WHERE kind = 'booking_confirmation' AND status IN ('pending', 'sending')"
        ).fetchone()
    return int(count)


def _statuses(db: Path, ids: list[int]) -> set[str]:
    with sqlite3.connect(db, timeout=20) as conn:
        marks = ",".join("?" * len(ids))
        return {
            row[0]
            for row in conn.execute(
                f"SELECT DISTINCT status FROM reminders_outboxmessage "  # noqa: S608
                f"WHERE id IN ({marks})",
                ids,
            )
        }


def test_killed_workers_lose_nothing_and_duplicate_nothing(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("runs once, in the SQLite pass (it has its own SQLite file)")
    env = _env(tmp_path)
    setup = subprocess.run(
        [
            sys.executable,
            "-m",
            "skinterval.reminders.tests.crash_setup",
            str(DUE),
            str(CANCELLED),
            str(SILENT),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    expected = json.loads(setup.stdout)
    assert len(expected["due"]) == DUE
    out = tmp_path / "sent.jsonl"
    db = tmp_path / "db.sqlite3"

    def start(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "send_due_messages",
                "--interval",
                "0.05",
                "--batch",
                "5",
                "--lease",
                "2",
                "--worker-id",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    rng = random.Random(SEED)
    workers = [start("w0"), start("w1")]
    kills = 0
    deadline = time.monotonic() + 45
    try:
        while kills < KILLS and time.monotonic() < deadline:
            # Let the workers send a random number of messages, then kill one.
            target = len(_deliveries(out)) + rng.randint(10, 90)
            while len(_deliveries(out)) < target and time.monotonic() < deadline:
                if _open_confirmations(db) == 0:
                    break
                time.sleep(0.01)
            if _open_confirmations(db) == 0:
                break
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = start(f"w{victim}-{kills}")
        while _open_confirmations(db) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    delivered = _deliveries(out)
    distinct = set(delivered)
    wanted = {f"<skinterval.outbox.{pk}@localhost>" for pk in expected["due"]}
    assert kills >= 3, "the workers finished before they could be killed enough"
    assert wanted - distinct == set(), "lost messages"
    assert distinct - wanted == set(), "messages for cancelled appointments"
    # Every extra hand-over is a copy (same Message-ID) caused by a kill between
    # hand-over and marking: at most one per kill (each worker sends one at a time).
    assert len(delivered) - len(distinct) <= kills
    assert _statuses(db, expected["due"]) == {"sent"}
    assert _statuses(db, expected["cancelled"]) == {"cancelled"}
    assert _statuses(db, expected["silent"]) == {"skipped"}
