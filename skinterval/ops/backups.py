"""Backing up and restoring a whole installation: the database and the photos.

`write_backup` makes one archive (skinterval/ops/archive.py) from a consistent
copy of the database (skinterval/ops/dumps.py) and the files of the photo
folder; `restore_backup` checks an archive completely, in a staging folder,
before it changes anything, then loads the database (all or nothing) and puts the
restored photo folder in place of the current one (kept aside, never deleted).

The database is copied first and the photos after it: every photo the copied
database refers to was already in its folder (photos are written before their
row is committed, and never changed). A photo added during the backup is in the
archive without a row: harmless. See docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from skinterval.ops import archive, dumps
from skinterval.ops.archive import BackupError, Manifest, PayloadFile
from skinterval.photos.storage import photo_dir

Progress = Callable[[str], None]
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class BackupSummary:
    manifest: Manifest
    photos: int
    photo_bytes: int
    database_bytes: int


@dataclass(frozen=True)
class RestoreSummary:
    manifest: Manifest
    photos: int
    previous_photo_dir: Path | None  # where the replaced photos were moved
    migrate_needed: bool  # the code has migrations the backup had not applied
    photos_without_file: int  # photo rows whose file is not in the backup


def default_backup_path(*, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"skinterval-{stamp}.tar.gz"


def wants_gzip(path: Path) -> bool:
    if path.name.endswith((".tar.gz", ".tgz")):
        return True
    if path.name.endswith(".tar"):
        return False
    raise BackupError(f"Name the backup file *.tar or *.tar.gz (not {path.name!r}).")


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in archive.DATABASE_FILES:
        raise BackupError(f"Backups of {vendor} databases are not supported.")
    return vendor


class _Steps:
    """Reports `done of total` at every tenth of the way (of long work only)."""

    def __init__(self, progress: Progress, what: str, total: int) -> None:
        self.progress, self.what, self.total = progress, what, total
        self.next_tenth = 1

    def __call__(self, done: int, total: int | None = None) -> None:
        total = self.total if total is None else total
        if total >= 100 and done * 10 >= self.next_tenth * total:
            self.progress(f"  {self.what}: {done}/{total} ({done * 100 // total}%)")
            self.next_tenth = done * 10 // total + 1


# --- Backup ---------------------------------------------------------------------


def _photo_files(progress: Progress) -> list[tuple[PurePosixPath, Path]]:
    """Every regular file under the photo folder, in a fixed order."""
    root = photo_dir()
    if not root.is_dir():
        return []
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                progress(f"  skipped {path}: not a regular file")
                continue
            found.append((PurePosixPath(path.relative_to(root).as_posix()), path))
    return found


def write_backup(
    *, target: Path | IO[bytes], now: datetime, progress: Progress
) -> BackupSummary:
    """Write a backup to the file `target` (created, never overwritten; written
    under a temporary name and renamed when complete) or to a binary stream."""
    vendor = _vendor()
    if isinstance(target, Path):
        gzip = wants_gzip(target)
        if target.exists():
            raise BackupError(f"{target} already exists; a backup never overwrites.")
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging_parent = target.parent
    else:
        gzip = False
        staging_parent = Path(settings.VAR_DIR)
        staging_parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".skinterval-backup-", dir=staging_parent))
    partial = None
    try:
        database = staging / archive.DATABASE_FILES[vendor]
        progress(f"Copying the {VENDOR_NAMES[vendor]} database…")
        if vendor == "sqlite":
            applied = dumps.sqlite_dump(database)
        else:
            applied = dumps.postgres_dump(database)
        size, sha256 = archive.sha256_of(database)
        progress(f"  database: {megabytes(size)}")
        entries = [PayloadFile(name=database.name, size=size, sha256=sha256)]
        photos = _photo_files(progress)
        progress(f"Checking {len(photos)} photo files…")
        steps = _Steps(progress, "checked", len(photos))
        for number, (relative, path) in enumerate(photos, start=1):
            size, sha256 = archive.sha256_of(path)
            name = archive.photo_member_name(relative)
            entries.append(PayloadFile(name=name, size=size, sha256=sha256))
            steps(number)
        manifest = Manifest(
            vendor=vendor,
            created_at=now.astimezone(UTC).isoformat(),
            migrations=dumps.latest_migrations(applied),
            files=tuple(entries),
            skinterval_version=_version(),
        )
        stamp = now.timestamp()
        if isinstance(target, Path):
            partial_path = target.with_name(f".{target.name}.partial")
            with _create_private(partial_path) as out:
                partial = partial_path  # ours from here on: removed on failure
                _write_archive(out, manifest, database, photos, gzip, stamp, progress)
            partial.replace(target)
            partial = None
        else:
            _write_archive(target, manifest, database, photos, gzip, stamp, progress)
            target.flush()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if partial is not None:
            partial.unlink(missing_ok=True)
    return BackupSummary(
        manifest=manifest,
        photos=len(photos),
        photo_bytes=sum(entry.size for entry in entries[1:]),
        database_bytes=entries[0].size,
    )


def _create_private(path: Path) -> IO[bytes]:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(
            f"{path} exists: another backup to the same file is running, or one "
            "was interrupted (then delete it)."
        ) from None
    return os.fdopen(descriptor, "wb")


def _write_archive(
    out: IO[bytes],
    manifest: Manifest,
    database: Path,
    photos: list[tuple[PurePosixPath, Path]],
    gzip: bool,
    stamp: float,
    progress: Progress,
) -> None:
    progress("Writing the archive…")
    with archive.open_for_writing(out, gzip=gzip) as tar:
        archive.add_bytes(tar, archive.MANIFEST_NAME, manifest.to_json(), stamp)
        archive.add_file(tar, manifest.files[0], database, stamp)
        steps = _Steps(progress, "photos written", len(photos))
        for number, (entry, (_, path)) in enumerate(
            zip(manifest.files[1:], photos, strict=True), start=1
        ):
            archive.add_file(tar, entry, path, stamp)
            steps(number)


def _version() -> str:
    try:
        return metadata.version("skinterval")
    except metadata.PackageNotFoundError:
        return ""


# --- Restore --------------------------------------------------------------------


def restore_backup(
    *, source: Path | IO[bytes], overwrite: bool, now: datetime, progress: Progress
) -> RestoreSummary:
    """Restore the backup in `source` (a file or a binary stream) over this
    installation. Refuses, before changing anything: a damaged or incomplete
    archive, another vendor's backup, a backup from newer code, and (unless
    `overwrite`) a database or photo folder that already holds data."""
    if isinstance(source, Path):
        try:
            handle: IO[bytes] = source.open("rb")
        except FileNotFoundError:
            raise BackupError(f"There is no file {source}.") from None
        except IsADirectoryError:
            raise BackupError(f"{source} is a folder, not a backup file.") from None
        except PermissionError:
            raise BackupError(f"{source} cannot be read (permission denied).") from None
    else:
        handle = source
    try:
        with handle if isinstance(source, Path) else nullcontext(handle):
            return _restore(handle, overwrite=overwrite, now=now, progress=progress)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(f"The backup file is damaged ({error}).") from None


def _restore(
    handle: IO[bytes], *, overwrite: bool, now: datetime, progress: Progress
) -> RestoreSummary:
    tar = archive.open_for_reading(handle)
    manifest = archive.read_manifest(tar)
    vendor = _vendor()
    if manifest.vendor != vendor:
        raise BackupError(
            f"This is a backup of a {VENDOR_NAMES[manifest.vendor]} database; this "
            f"installation uses {VENDOR_NAMES[vendor]}. Restore it on "
            f"{VENDOR_NAMES[manifest.vendor]} (docs/operations.md)."
        )
    migrate_needed = _check_migrations(manifest)
    total = sum(entry.size for entry in manifest.files)
    progress(
        f"Backup made at {manifest.created_at}: {len(manifest.files) - 1} photo "
        f"files, {megabytes(total)} in all."
    )
    photos_root = photo_dir()
    if not overwrite:
        _refuse_if_not_empty(photos_root)
    photos_root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=".skinterval-restore-", dir=photos_root.parent)
    )
    try:
        staged_photos = staging / "photos"
        staged_photos.mkdir(mode=0o700)
        staged_database = staging / manifest.database_file

        def destination(entry: PayloadFile) -> Path:
            if entry.name == manifest.database_file:
                return staged_database
            return staged_photos.joinpath(
                *archive.photo_relative_path(entry.name).parts
            )

        progress("Checking and unpacking the backup…")
        steps = _Steps(progress, "files checked", len(manifest.files))
        archive.extract_payload(tar, manifest, destination, steps)
        progress(f"Restoring the {VENDOR_NAMES[vendor]} database…")
        if vendor == "sqlite":
            dumps.sqlite_load(staged_database)
        else:
            dumps.postgres_load(staged_database)
        progress("Putting the photos in place…")
        previous = _install_photos(staged_photos, photos_root, now)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    photo_names = {
        archive.photo_relative_path(entry.name).as_posix()
        for entry in manifest.files
        if entry.name != manifest.database_file
    }
    return RestoreSummary(
        manifest=manifest,
        photos=len(photo_names),
        previous_photo_dir=previous,
        migrate_needed=migrate_needed,
        photos_without_file=_photos_without_file(manifest, photo_names),
    )


def _check_migrations(manifest: Manifest) -> bool:
    """Refuses a backup whose migrations this code does not have; True when the
    code has migrations the backup had not applied (run `migrate` afterwards)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in manifest.migrations.items()
        if (app, name) not in loader.graph.nodes
    )
    if unknown:
        raise BackupError(
            "The backup was made by a newer version of Skinterval (this code does "
            f"not have migration {', '.join(unknown[:3])}). Install that version "
            "or a later one, then restore."
        )
    return any(
        manifest.migrations.get(app) != name for app, name in loader.graph.leaf_nodes()
    )


def _refuse_if_not_empty(photos_root: Path) -> None:
    tables = dumps.tables_with_rows()
    has_photos = photos_root.is_dir() and any(photos_root.iterdir())
    if not tables and not has_photos:
        return
    where = []
    if tables:
        shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
        where.append(f"the database has data ({len(tables)} tables: {shown})")
    if has_photos:
        where.append(f"the photo folder {photos_root} has files")
    raise BackupError(
        "Refusing to restore over existing data: "
        + " and ".join(where)
        + ". Restoring replaces all of it; run again with --yes to do so."
    )


def _install_photos(staged: Path, photos_root: Path, now: datetime) -> Path | None:
    """Put the restored folder in place; a non-empty current folder is renamed
    (kept next to it) rather than deleted."""
    previous = None
    if photos_root.is_dir():
        if any(photos_root.iterdir()):
            stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            previous = photos_root.with_name(
                f"{photos_root.name}.before-restore-{stamp}"
            )
            photos_root.rename(previous)
        else:
            photos_root.rmdir()
    staged.rename(photos_root)
    photos_root.chmod(0o700)
    return previous


def _photos_without_file(manifest: Manifest, restored: set[str]) -> int:
    if "photos" not in manifest.migrations:
        return 0
    from skinterval.photos.models import Photo

    # The whole installation is checked: an operator's command, not a clinic's view.
    names = Photo.objects.values_list("storage_name", flat=True)
    return sum(1 for name in names.iterator() if name not in restored)
