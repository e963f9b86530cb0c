"""Copying the database out and back in, each vendor with its own tools.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the whole file
in one read transaction; in WAL mode writers carry on meanwhile, and the copy is
the database as of one instant. Restoring uses the same API the other way, so
connections still open on the file see the new content (no file swapped under
them).

PostgreSQL: `pg_dump --format=custom` (one snapshot, consistent while the
application runs) and `pg_restore --single-transaction` (all or nothing). The
connection comes from settings.DATABASES; the password goes to the tools in the
PGPASSWORD environment variable, never on their command line.

Login sessions are left out of every backup: a session key in the
`django_session` table is as good as a password until it expires.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.recorder import MigrationRecorder

from skinterval.ops.archive import BackupError

SESSION_TABLE = "django_session"
# Tables that `migrate` fills by itself: a database holding rows only in these
# counts as empty (freshly migrated, nothing entered yet).
BOOKKEEPING_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "sqlite_sequence",
}
_TOOL_TIMEOUT_S = 6 * 60 * 60


def latest_migrations(applied: list[tuple[str, str]]) -> dict[str, str]:
    """The latest applied migration of each app. Migration names here start with
    a zero-padded number, so the greatest name is the latest."""
    latest: dict[str, str] = {}
    for app, name in applied:
        if name > latest.get(app, ""):
            latest[app] = name
    return latest


def applied_migrations() -> list[tuple[str, str]]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(recorder.applied_migrations())


def tables_with_rows() -> list[str]:
    """The tables (apart from `migrate`'s own) that hold at least one row."""
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in BOOKKEEPING_TABLES or table == SESSION_TABLE:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT 1 FROM {quoted} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                found.append(table)
    return found


# --- SQLite ---------------------------------------------------------------------


def sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(name)


def _busy_timeout_s() -> float:
    return float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 20))


def sqlite_dump(target: Path) -> list[tuple[str, str]]:
    """Copy the live database to `target` (a single file, journal mode DELETE,
    without login sessions); return its applied migrations."""
    source_path = sqlite_path()
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path}.")
    source = sqlite3.connect(source_path, timeout=_busy_timeout_s())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction
        copy.execute("PRAGMA secure_delete = ON")  # zero what is deleted below
        if _sqlite_has_table(copy, SESSION_TABLE):
            copy.execute(f"DELETE FROM {SESSION_TABLE}")  # noqa: S608
        copy.commit()
        copy.execute("PRAGMA journal_mode = DELETE")
        _sqlite_integrity_check(copy, "the copy just made")
        applied: list[tuple[str, str]] = []
        if _sqlite_has_table(copy, "django_migrations"):
            applied = sorted(copy.execute("SELECT app, name FROM django_migrations"))
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy the database: {error}.") from None
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)
    return applied


def sqlite_load(staged: Path) -> None:
    """Replace the live database's content with the staged copy, in one write
    transaction."""
    live_path = sqlite_path()
    live_path.parent.mkdir(parents=True, exist_ok=True)
    connection.close()
    try:
        copy = sqlite3.connect(staged)
    except sqlite3.Error as error:
        raise BackupError(f"The backup's database cannot be opened: {error}.") from None
    try:
        _sqlite_integrity_check(copy, "the backup's database")
        live = sqlite3.connect(live_path, timeout=_busy_timeout_s())
        try:
            copy.backup(live)
        finally:
            live.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not restore the database: {error}.") from None
    finally:
        copy.close()


def _sqlite_has_table(db: sqlite3.Connection, table: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


def _sqlite_integrity_check(db: sqlite3.Connection, what: str) -> None:
    try:
        (result,) = db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{what.capitalize()} is damaged: {error}.") from None
    if result != "ok":
        raise BackupError(f"{what.capitalize()} is damaged: {result}.")


# --- PostgreSQL -----------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools "
            "(Debian: postgresql-client) of the server's major version or newer."
        )
    return path


def _pg_env() -> dict[str, str]:
    """The environment that points libpq's tools at settings.DATABASES['default']
    (Django's own `dbshell` mapping for password, TLS and service options)."""
    settings_dict: dict[str, Any] = connection.settings_dict
    _, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = dict(os.environ)  # libpq reads PG* variables for Django's connection too
    env.update(extra or {})
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
            args,
            env=_pg_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TOOL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{what} failed: {error}.") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-5:]
        raise BackupError(f"{what} failed: " + " / ".join(detail))
    return done.stdout


def postgres_dump(target: Path) -> list[tuple[str, str]]:
    """`pg_dump` the live database to `target`; return its applied migrations
    (read before and after: a migration run meanwhile fails the backup)."""
    before = applied_migrations()
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-password",
            f"--exclude-table-data={SESSION_TABLE}",
            f"--file={target}",
        ],
        "pg_dump",
    )
    if applied_migrations() != before:
        raise BackupError("Migrations ran while the backup was made; run it again.")
    target.chmod(0o600)
    return before


_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def postgres_load(staged: Path) -> None:
    """Restore the dump in one transaction. Tables of the current database that
    the backup does not have (added by migrations newer than the backup) are
    dropped first, so that `migrate` can create them again afterwards."""
    listing = _run([_tool("pg_restore"), "--list", str(staged)], "pg_restore --list")
    in_backup = {
        match.group(2)
        for line in listing.splitlines()
        if (match := _TOC_TABLE.match(line))
    }
    if not in_backup:
        raise BackupError("The backup's database dump holds no tables.")
    with connection.cursor() as cursor:
        extra = sorted(set(connection.introspection.table_names(cursor)) - in_backup)
        for table in extra:
            cursor.execute(
                f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE"
            )
    connection.close()
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(staged),
        ],
        "pg_restore",
    )
