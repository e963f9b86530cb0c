"""Backup and restore of a PostgreSQL installation, end to end: real `manage.py`
processes against two throw-away databases of this test's own
(skinterval_backup_test_<random> and ..._restored, dropped afterwards) on the
server of TEST_DATABASE_URL, never the suite's test database.

Skipped when the server is unreachable or pg_dump/pg_restore are missing.
"""

from __future__ import annotations

import os
import secrets
import shutil
from urllib.parse import urlsplit, urlunsplit

import pytest

from .helpers import (
    env_for,
    manage,
    photo_fingerprint,
    postgres_fingerprint,
    seed,
    without_sessions,
)

pytestmark = pytest.mark.postgres_only

SERVER_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def _url(dbname: str) -> str:
    return urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{dbname}"))


@pytest.fixture
def databases():
    """(source URL, target URL): two new, empty databases."""
    psycopg = pytest.importorskip("psycopg")
    # Under CI the PostgreSQL round trip is a requirement, never skipped.
    missing = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        missing("pg_dump/pg_restore are not installed")
    try:
        server = psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        missing(f"no PostgreSQL server at {SERVER_URL}")
    names = [f"skinterval_backup_test_{secrets.token_hex(6)}"]
    names.append(f"{names[0]}_restored")
    try:
        for name in names:
            server.execute(f'CREATE DATABASE "{name}"')
        yield tuple(_url(name) for name in names)
    finally:
        for name in names:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def test_backup_restores_into_an_empty_database_and_over_a_changed_one(
    databases, tmp_path
):
    import psycopg

    source_url, target_url = databases
    source_env = env_for(tmp_path / "source", source_url)
    seed(source_env)
    # The sealer service's work (web processes leave it to it on PostgreSQL).
    sealed = manage(source_env, "seal_audit_log", "--once")
    assert sealed.returncode == 0, sealed.stderr
    source = postgres_fingerprint(source_url)
    source_photos = photo_fingerprint(tmp_path / "source" / "private-media" / "photos")
    assert source["charting_sessionchart"][0] == 1
    assert source["django_session"][0] == 1
    assert len(source_photos) == 2
    backup = tmp_path / "backup.tar"
    made = manage(source_env, "backup", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    assert "Copying the PostgreSQL database" in made.stderr

    # Into an empty database and photo folder.
    target_env = env_for(tmp_path / "target", target_url)
    done = manage(target_env, "restore", str(backup))

    assert done.returncode == 0, done.stderr
    restored = postgres_fingerprint(target_url)
    assert without_sessions(restored) == without_sessions(source)
    assert restored["django_session"][0] == 0  # sessions are left out
    photos = tmp_path / "target" / "private-media" / "photos"
    assert photo_fingerprint(photos) == source_photos
    check = manage(
        target_env,
        "shell",
        "-c",
        "from django.core.management import call_command\n"
        "call_command('migrate', check_unapplied=True, verbosity=0)\n"
        "from skinterval.audit.queries import verify_chain\n"
        "report = verify_chain()\n"
        "print(report.ok, report.rows_checked)",
    )
    assert check.returncode == 0, check.stderr
    audit_rows = source["audit_auditevent"][0]
    assert check.stdout.strip().splitlines()[-1].split() == ["True", str(audit_rows)]

    # Over a database changed since, with a table the backup does not know.
    with psycopg.connect(target_url, autocommit=True) as db:
        db.execute("UPDATE clinics_clinic SET name = 'Changed since the backup'")
        db.execute("CREATE TABLE from_a_later_migration (id integer PRIMARY KEY)")
    changed = postgres_fingerprint(target_url)

    refused = manage(target_env, "restore", str(backup))

    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert postgres_fingerprint(target_url) == changed

    done = manage(target_env, "restore", str(backup), "--yes")

    assert done.returncode == 0, done.stderr
    assert without_sessions(postgres_fingerprint(target_url)) == without_sessions(
        source
    )
    assert photo_fingerprint(photos) == source_photos
