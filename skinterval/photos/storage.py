"""The private photo store: a folder that no URL serves.

Files are named by the application only (`new_storage_name`: random hex, in two
levels of sub-folders), never by the uploader. Django's `FileSystemStorage` keeps
the folder's own checks (no name may step outside it); its `url()` is never used.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage


def photo_dir() -> Path:
    return Path(settings.SKINTERVAL_PHOTO_DIR)


def photo_storage() -> FileSystemStorage:
    return FileSystemStorage(
        location=photo_dir(),
        base_url=None,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def new_storage_name() -> str:
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}.jpg"


def write_photo(name: str, data: bytes) -> None:
    saved = photo_storage().save(name, ContentFile(data))
    if saved != name:  # a clash of 128 random bits: never expected
        photo_storage().delete(saved)
        raise FileExistsError(name)


def read_photo(name: str) -> bytes:
    with photo_storage().open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def delete_photo_file(name: str) -> None:
    photo_storage().delete(name)


@register()
def check_photo_dir_not_served(**kwargs: object) -> list[CheckMessage]:
    """photos.E001: the photo folder must not be inside a folder that is served."""
    private = photo_dir().resolve()
    served = [
        ("STATIC_ROOT", getattr(settings, "STATIC_ROOT", None)),
        ("MEDIA_ROOT", getattr(settings, "MEDIA_ROOT", None)),
    ]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        served.append(
            ("STATICFILES_DIRS", entry[1] if isinstance(entry, tuple) else entry)
        )
    errors: list[CheckMessage] = []
    for setting, folder in served:
        if not folder:
            continue
        public = Path(folder).resolve()
        if private == public or public in private.parents:
            errors.append(
                Error(
                    f"SKINTERVAL_PHOTO_DIR ({private}) overlaps {setting} ({public}), "
                    "a folder served over the web.",
                    hint="Keep clinical photos in a folder of their own.",
                    id="photos.E001",
                )
            )
    return errors
