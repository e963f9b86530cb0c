"""Backup and restore of a SQLite installation, end to end: real `manage.py`
processes on a SQLite file and a photo folder in a temporary folder, filled by
backup_seed.py (clinics, patients, a plan, appointments, a chart, scores,
consents, photos, audit rows, a login session).

Runs in the SQLite pass only (it has its own SQLite files); the PostgreSQL
round trip is test_backup_postgres.py.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import (
    ROOT,
    Fingerprint,
    env_for,
    manage,
    photo_fingerprint,
    seed,
    sqlite_fingerprint,
    without_sessions,
)


@dataclass(frozen=True)
class Source:
    var: Path
    backup: Path
    tables: Fingerprint
    photos: dict[str, str]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("runs once, in the SQLite pass (it has its own SQLite files)")
    var = tmp_path_factory.mktemp("source")
    env = env_for(var)
    seed(env)
    backup = var.parent / "backup.tar.gz"
    done = manage(env, "backup", "--out", str(backup))
    assert done.returncode == 0, done.stderr
    assert "Copying the SQLite database" in done.stderr  # progress on stderr
    assert str(backup) in done.stdout
    return Source(
        var=var,
        backup=backup,
        tables=sqlite_fingerprint(var / "db.sqlite3"),
        photos=photo_fingerprint(var / "private-media" / "photos"),
    )


def _restore(var: Path, backup: Path, *extra: str):
    return manage(env_for(var), "restore", str(backup), *extra)


def test_restore_into_an_empty_installation_gives_back_every_row_and_photo(
    source, tmp_path
):
    assert source.tables["photos_photo"][0] == 2
    assert source.tables["charting_sessionchart"][0] == 1
    assert source.tables["django_session"][0] == 1
    assert len(source.photos) == 2

    done = _restore(tmp_path, source.backup)

    assert done.returncode == 0, done.stderr
    restored = sqlite_fingerprint(tmp_path / "db.sqlite3")
    assert without_sessions(restored) == without_sessions(source.tables)
    # Login sessions are bearer secrets: a backup leaves them out.
    assert restored["django_session"][0] == 0
    assert photo_fingerprint(tmp_path / "private-media" / "photos") == source.photos
    check = manage(
        env_for(tmp_path),
        "shell",
        "-c",
        "from django.core.management import call_command\n"
        "call_command('migrate', check_unapplied=True, verbosity=0)\n"
        "from skinterval.audit.queries import verify_chain\n"
        "report = verify_chain()\n"
        "print(report.ok, report.rows_checked)",
    )
    assert check.returncode == 0, check.stderr  # no migration left to apply
    audit_rows = source.tables["audit_auditevent"][0]
    assert check.stdout.strip().splitlines()[-1].split() == ["True", str(audit_rows)]


def test_restore_refuses_to_replace_existing_data_without_yes(source, tmp_path):
    assert _restore(tmp_path, source.backup).returncode == 0
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute("UPDATE clinics_clinic SET name = 'Changed since the backup'")
    photos = tmp_path / "private-media" / "photos"
    (photos / "added-since.jpg").write_bytes(b"new photo")
    changed = sqlite_fingerprint(tmp_path / "db.sqlite3")

    refused = _restore(tmp_path, source.backup)

    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sqlite_fingerprint(tmp_path / "db.sqlite3") == changed
    assert (photos / "added-since.jpg").exists()

    done = _restore(tmp_path, source.backup, "--yes")

    assert done.returncode == 0, done.stderr
    restored = sqlite_fingerprint(tmp_path / "db.sqlite3")
    assert without_sessions(restored) == without_sessions(source.tables)
    assert photo_fingerprint(photos) == source.photos
    # The photo folder it replaced is kept aside, not deleted.
    (kept,) = (tmp_path / "private-media").glob("photos.before-restore-*")
    assert (kept / "added-since.jpg").read_bytes() == b"new photo"
    assert str(kept) in done.stdout


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing", "There is no file"),
        ("truncated", "damaged"),
        ("garbage", "not a readable backup archive"),
    ],
)
def test_a_missing_or_damaged_file_is_a_clean_error(source, tmp_path, damage, message):
    path = tmp_path / "backup.tar.gz"
    data = source.backup.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "garbage":
        path.write_bytes(b"this is not an archive\n" * 100)
    target = tmp_path / "target"

    done = _restore(target, path)

    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (target / "private-media" / "photos").exists()
    tables = sqlite_fingerprint(target / "db.sqlite3")
    assert all(count == 0 for count, _ in tables.values())


def test_backup_never_overwrites_a_file(source, tmp_path):
    existing = tmp_path / "backup.tar.gz"
    existing.write_bytes(b"an older backup")

    done = manage(env_for(source.var), "backup", "--out", str(existing))

    assert done.returncode == 2
    assert "already exists" in done.stderr
    assert existing.read_bytes() == b"an older backup"


def test_a_backup_piped_to_standard_output_restores_from_standard_input(
    source, tmp_path
):
    """`backup --out - | encrypt ... | decrypt ... | restore -`: no plain copy on
    disk; here without the encryption."""
    made = subprocess.run(
        [sys.executable, "manage.py", "backup", "--out", "-"],
        cwd=ROOT,
        env=env_for(source.var),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", "-"],
        cwd=ROOT,
        env=env_for(tmp_path),
        input=made.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    restored = sqlite_fingerprint(tmp_path / "db.sqlite3")
    assert without_sessions(restored) == without_sessions(source.tables)
    assert photo_fingerprint(tmp_path / "private-media" / "photos") == source.photos
