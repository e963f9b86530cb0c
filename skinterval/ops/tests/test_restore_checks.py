"""What `restore` refuses, before it changes anything: damaged, incomplete or
tampered archives, another vendor's backup, a backup from newer code, and (without
--yes) an installation that already holds data.

The archives are built here, small and synthetic: every check runs before the
database would be loaded, so they run in both passes against the test database,
and each test shows that the data and the photo folder were left as they were.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from skinterval.clinics.models import Clinic
from skinterval.ops import archive
from skinterval.ops.archive import Manifest, PayloadFile

PHOTO = "photos/ab/cd/abcd0123.jpg"
OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def build(
    path: Path,
    *,
    vendor: str | None = None,
    migrations: dict[str, str] | None = None,
    listed: dict[str, bytes] | None = None,
    stored: dict[str, bytes] | None = None,
    manifest_bytes: bytes | None = None,
    compress: bool = False,
) -> Path:
    """An archive whose manifest lists `listed` and which holds `stored` (the
    same files unless a test makes them differ)."""
    vendor = vendor or connection.vendor
    database = archive.DATABASE_FILES[vendor]
    if listed is None:
        listed = {database: b"a database dump", PHOTO: b"photo bytes"}
    if stored is None:
        stored = listed
    manifest = Manifest(
        vendor=vendor,
        created_at="2027-01-05T10:00:00+00:00",
        migrations=migrations or {},
        files=tuple(
            PayloadFile(name=name, size=len(data), sha256=_sha256(data))
            for name, data in listed.items()
        ),
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _member(tar, archive.MANIFEST_NAME, manifest_bytes or manifest.to_json())
        for name, data in stored.items():
            _member(tar, name, data)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def installation(world_a, settings, tmp_path):
    """Clinic A's data and a photo folder holding one file."""
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "store" / "photos"
    settings.SKINTERVAL_PHOTO_DIR.mkdir(parents=True)
    (settings.SKINTERVAL_PHOTO_DIR / "existing.jpg").write_bytes(b"existing")
    return settings.SKINTERVAL_PHOTO_DIR


def restore_refused(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command(
            "restore", str(path), *args, stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert refused.value.returncode == 2
    return str(refused.value)


def assert_untouched(photos: Path) -> None:
    assert Clinic.objects.filter(name="Clinic A").exists()
    assert [p.name for p in photos.parent.iterdir()] == ["photos"]  # no staging left
    assert [p.name for p in photos.iterdir()] == ["existing.jpg"]


def _with_byte_changed(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


DATABASE = "database"  # stands for the vendor's database file name below


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty file", "not a readable backup archive"),
        ("not an archive", "not a readable backup archive"),
        ("no manifest first", "does not start with a manifest"),
        ("manifest not JSON", "manifest is damaged"),
        ("manifest of something else", "not a Skinterval backup"),
        ("list changed after writing", "payload digest"),
        ("photo changed", "does not match its checksum"),
        ("photo missing", "incomplete"),
        ("photo not listed", "Unexpected file"),
        ("photo outside the folder", "Unexpected file"),
        ("truncated gzip", "damaged"),
        ("another vendor", "this installation uses"),
        ("newer code", "newer version of Skinterval"),
    ],
)
def test_a_damaged_or_foreign_backup_is_refused_and_nothing_changes(
    installation, tmp_path, case, message
):
    path = tmp_path / "backup.tar"
    database = archive.DATABASE_FILES[connection.vendor]
    files = {database: b"a database dump", PHOTO: b"photo bytes"}
    if case == "empty file":
        path.write_bytes(b"")
    elif case == "not an archive":
        path.write_bytes(b"\x00\x01 not a tar at all " * 200)
    elif case == "no manifest first":
        build(tmp_path / "other.tar")
        with tarfile.open(path, mode="w") as tar:
            _member(tar, PHOTO, files[PHOTO])
            _member(tar, archive.MANIFEST_NAME, _manifest_of(tmp_path / "other.tar"))
    elif case == "manifest not JSON":
        build(path, manifest_bytes=b"{not json")
    elif case == "manifest of something else":
        build(path, manifest_bytes=json.dumps({"format": "other"}).encode())
    elif case == "list changed after writing":
        build(path)
        document = json.loads(_manifest_of(path))
        document["files"][1]["size"] = 999
        build(path, manifest_bytes=json.dumps(document).encode())
    elif case == "photo changed":
        build(path, stored={database: files[database], PHOTO: b"photo bytez"})
    elif case == "photo missing":
        build(path, stored={database: files[database]})
    elif case == "photo not listed":
        build(path, stored={**files, "photos/extra.jpg": b"x"})
    elif case == "photo outside the folder":
        build(path, listed={database: b"db", "photos/../../escape.jpg": b"x"})
    elif case == "truncated gzip":
        data = build(path, compress=True).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif case == "another vendor":
        build(path, vendor=OTHER_VENDOR[connection.vendor])
    elif case == "newer code":
        build(path, migrations={"audit": "9999_from_a_later_version"})

    text = restore_refused(path, "--yes")

    assert message in text
    assert_untouched(installation)


def _manifest_of(path: Path) -> bytes:
    with tarfile.open(path) as tar:
        handle = tar.extractfile(archive.MANIFEST_NAME)
        assert handle is not None
        return handle.read()


def test_existing_data_is_not_replaced_without_yes(installation, tmp_path):
    text = restore_refused(build(tmp_path / "backup.tar"))

    assert "--yes" in text
    assert "clinics_clinic" in text
    assert str(installation) in text
    assert_untouched(installation)


def test_a_backup_file_must_be_named_tar_or_tar_gz(installation, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("backup", "--out", str(tmp_path / "backup.zip"), verbosity=0)

    assert refused.value.returncode == 2
    assert ".tar.gz" in str(refused.value)
    assert not (tmp_path / "backup.zip").exists()
