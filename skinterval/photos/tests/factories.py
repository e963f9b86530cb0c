"""Builders for photo tests (and the access matrix): images made with Pillow, a
photo consent, and a stored photo."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from skinterval.charting.consent_texts import PHOTOS_2027_01
from skinterval.charting.services import sign_consent

SIGNED_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
UPLOADED_AT = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    colour: tuple[int, int, int] = (40, 120, 200),
    **save: Any,
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload_file(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def sign_photo_consent(
    world: Any, patient: Any = None, *, scope: str = "record", now: Any = None
) -> Any:
    patient = patient or world.patient
    return sign_consent(
        patient=patient,
        kind="photos",
        text_version=PHOTOS_2027_01.version,
        signed_name=patient.full_name,
        photo_scope=scope,
        witnessed_by=world.front_desk,
        now=now or SIGNED_AT,
    )


def make_photo(
    world: Any,
    patient: Any = None,
    *,
    area: str = "cheeks",
    view: str = "front",
    taken_on: date = date(2027, 1, 4),
    now: datetime = UPLOADED_AT,
    data: bytes | None = None,
) -> Any:
    """A photo stored through the service, signing the consent if none is in
    force."""
    from skinterval.charting.queries import consent_in_force
    from skinterval.photos.services import upload_photo

    patient = patient or world.patient
    if consent_in_force(patient, "photos") is None:
        sign_photo_consent(world, patient, now=min(now, SIGNED_AT))
    return upload_photo(
        patient=patient,
        uploaded_by=world.practitioner,
        upload=io.BytesIO(data or image_bytes()),
        client_name="photo.jpg",
        area=area,
        view=view,
        taken_on=taken_on,
        now=now,
    )
