"""Driving `manage.py` in subprocesses against a database of the test's own, and
fingerprints of a database and a photo folder to compare a restore with its
source: per table, the row count and a SHA-256 of its rows in primary-key order.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
Fingerprint = dict[str, tuple[int, str]]


def env_for(var_dir: Path, database_url: str = "") -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "SKINTERVAL_"))
    }
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "backup-test-only",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": database_url,
        "SKINTERVAL_VAR_DIR": str(var_dir),
        "SKINTERVAL_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "LOG_LEVEL": "ERROR",
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, "manage.py", *args)


def seed(env: dict[str, str]) -> None:
    done = run(env, "-m", "skinterval.ops.tests.backup_seed")
    assert done.returncode == 0, done.stderr


def _digest(rows: list[tuple[object, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def sqlite_fingerprint(path: Path) -> Fingerprint:
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        result = {}
        for table in tables:
            columns = db.execute(f'PRAGMA table_info("{table}")').fetchall()
            keys = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
            order = ", ".join(f'"{k}"' for k in keys) or "rowid"
            query = f'SELECT * FROM "{table}" ORDER BY {order}'  # noqa: S608
            rows = db.execute(query).fetchall()
            result[table] = (len(rows), _digest(rows))
    return result


def postgres_fingerprint(url: str) -> Fingerprint:
    import psycopg

    with psycopg.connect(url) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
                "ORDER BY table_name"
            )
        ]
        result = {}
        for table in tables:
            keys = [
                name
                for (name,) in db.execute(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = %s::regclass AND i.indisprimary "
                    "ORDER BY a.attnum",
                    (f'"{table}"',),
                )
            ]
            order = ", ".join(f'"{k}"' for k in keys) or "1"
            query = f'SELECT * FROM "{table}" ORDER BY {order}'  # noqa: S608
            rows = db.execute(query).fetchall()
            result[table] = (len(rows), _digest(rows))
        sequences = db.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY sequencename"
        ).fetchall()
        result["(sequences)"] = (len(sequences), _digest(sequences))
    return result


def photo_fingerprint(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def without_sessions(fingerprint: Fingerprint) -> Fingerprint:
    return {k: v for k, v in fingerprint.items() if k != "django_session"}
