"""The backup file: a tar archive (optionally gzip-compressed) holding, in order,

    manifest.json               what the backup is (see `Manifest`)
    database.sqlite3 | database.pgdump
    photos/<name as stored>     every file of the photo folder

The manifest comes first, so that `restore` can refuse a backup of the wrong
vendor or of a newer version of the code before reading the rest, and the
archive can be read as a stream (from a pipe, e.g. out of `age -d`). It lists
every payload file with its size and SHA-256; `payload_sha256` is the SHA-256 of
that list, so one value identifies the payload. The archive is read member by
member without `extractall`: only the names the manifest lists are accepted,
written to paths this module builds.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

FORMAT = "skinterval-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
PHOTO_PREFIX = "photos/"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class PayloadFile:
    name: str  # the archive member name
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    vendor: str  # Django's connection.vendor: "sqlite" or "postgresql"
    created_at: str  # ISO 8601, UTC
    migrations: dict[str, str]  # app label -> latest applied migration
    files: tuple[PayloadFile, ...]
    skinterval_version: str = ""

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.vendor]

    @property
    def payload_sha256(self) -> str:
        return payload_digest(self.files)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "database": {"vendor": self.vendor, "file": self.database_file},
            "skinterval_version": self.skinterval_version,
            "migrations": dict(sorted(self.migrations.items())),
            "payload_sha256": self.payload_sha256,
            "files": [
                {"name": f.name, "size": f.size, "sha256": f.sha256} for f in self.files
            ],
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            document = json.loads(raw)
            if document.get("format") != FORMAT:
                raise BackupError("This is not a Skinterval backup.")
            version = document.get("format_version")
            if version != FORMAT_VERSION:
                raise BackupError(
                    f"The backup's format version is {version!r}; this version of "
                    f"Skinterval reads version {FORMAT_VERSION}."
                )
            vendor = document["database"]["vendor"]
            if vendor not in DATABASE_FILES:
                raise BackupError(f"Unknown database vendor {vendor!r} in the backup.")
            files = tuple(
                PayloadFile(
                    name=str(f["name"]), size=int(f["size"]), sha256=str(f["sha256"])
                )
                for f in document["files"]
            )
            migrations = {
                str(app): str(name) for app, name in document["migrations"].items()
            }
            manifest = cls(
                vendor=vendor,
                created_at=str(document["created_at"]),
                migrations=migrations,
                files=files,
                skinterval_version=str(document.get("skinterval_version", "")),
            )
            expected_payload = document["payload_sha256"]
        except BackupError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"The backup's manifest is damaged ({error}).") from None
        _check_files(manifest)
        if manifest.payload_sha256 != expected_payload:
            raise BackupError("The backup's manifest is damaged (its payload digest).")
        return manifest


def payload_digest(files: tuple[PayloadFile, ...]) -> str:
    listing = "".join(f"{f.sha256}  {f.size}  {f.name}\n" for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def _check_files(manifest: Manifest) -> None:
    names = [f.name for f in manifest.files]
    if len(set(names)) != len(names):
        raise BackupError("The backup's manifest lists a file twice.")
    if manifest.database_file not in names:
        raise BackupError("The backup's manifest lists no database.")
    for entry in manifest.files:
        if entry.size < 0 or not _SHA256.match(entry.sha256):
            raise BackupError("The backup's manifest is damaged (a checksum).")
        if entry.name != manifest.database_file:
            photo_relative_path(entry.name)


def photo_member_name(relative: PurePosixPath) -> str:
    return PHOTO_PREFIX + relative.as_posix()


def photo_relative_path(name: str) -> PurePosixPath:
    """The path under the photo folder of member `name`; refuses any name that
    could step outside it (absolute, `..`, empty parts, backslashes)."""
    if not name.startswith(PHOTO_PREFIX) or "\\" in name or "\x00" in name:
        raise BackupError(f"Unexpected file in the backup: {name!r}.")
    relative = PurePosixPath(name[len(PHOTO_PREFIX) :])
    parts = name[len(PHOTO_PREFIX) :].split("/")
    if not relative.parts or any(part in ("", ".", "..") for part in parts):
        raise BackupError(f"Unexpected file in the backup: {name!r}.")
    return relative


def sha256_of(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class _HashingReader:
    """Hands a file to tarfile while hashing what tarfile reads."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def open_for_writing(target: IO[bytes], *, gzip: bool) -> tarfile.TarFile:
    if gzip:
        return tarfile.open(fileobj=target, mode="w|gz", format=tarfile.PAX_FORMAT)
    return tarfile.open(fileobj=target, mode="w|", format=tarfile.PAX_FORMAT)


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def add_file(
    archive: tarfile.TarFile, entry: PayloadFile, path: Path, mtime: float
) -> None:
    """Add `path` as `entry.name`; the file must still be the one `entry` describes
    (photos are never changed in place, so this fails only on a store that is)."""
    info = tarfile.TarInfo(entry.name)
    info.size = entry.size
    info.mtime = int(mtime)
    info.mode = 0o600
    try:
        with path.open("rb") as handle:
            reader = _HashingReader(handle)
            archive.addfile(info, reader)
    except FileNotFoundError:
        raise BackupError(
            f"{path} disappeared while the backup was written; run it again."
        ) from None
    except OSError as error:
        if "unexpected end of data" in str(error):
            raise BackupError(
                f"{path} changed while the backup was written; run it again."
            ) from None
        raise
    if reader.digest.hexdigest() != entry.sha256:
        raise BackupError(f"{path} changed while the backup was written; run it again.")


def open_for_reading(source: IO[bytes]) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=source, mode="r|*")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(
            f"The file is not a readable backup archive ({error})."
        ) from None


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    member = archive.next()
    if member is None or member.name != MANIFEST_NAME or not member.isfile():
        raise BackupError(
            "The file is not a Skinterval backup (it does not start with a manifest)."
        )
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError("The backup's manifest is too large to be real.")
    raw = _open_member(archive, member).read()
    if len(raw) != member.size:
        raise BackupError("The backup is truncated (in its manifest).")
    return Manifest.from_json(raw)


def _open_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = archive.extractfile(member)
    if handle is None:  # not a regular file; callers checked already
        raise BackupError(f"The backup's copy of {member.name} is damaged.")
    return handle


def extract_payload(
    archive: tarfile.TarFile,
    manifest: Manifest,
    destination: Callable[[PayloadFile], Path],
    progress: Callable[[int, int], None],
) -> None:
    """Copy every payload member to `destination(entry)`, checking each one's
    size and SHA-256 against the manifest, that nothing is missing and that
    nothing else is in the archive."""
    expected = {entry.name: entry for entry in manifest.files}
    seen: set[str] = set()
    while (member := archive.next()) is not None:
        entry = expected.get(member.name)
        if entry is None or member.name in seen:
            raise BackupError(f"Unexpected file in the backup: {member.name!r}.")
        if not member.isfile() or member.size != entry.size:
            raise BackupError(f"The backup's copy of {member.name} is damaged.")
        handle = _open_member(archive, member)
        target = destination(entry)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        copied = 0
        with target.open("xb") as out:
            target.chmod(0o600)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                copied += len(chunk)
        if copied != entry.size:
            raise BackupError(f"The backup is truncated (in {member.name}).")
        if digest.hexdigest() != entry.sha256:
            raise BackupError(
                f"The backup's copy of {member.name} does not match its checksum: "
                "the file is damaged."
            )
        seen.add(member.name)
        progress(len(seen), len(expected))
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(
            f"The backup is incomplete: {len(missing)} file(s) missing, "
            f"first {missing[0]}."
        )
