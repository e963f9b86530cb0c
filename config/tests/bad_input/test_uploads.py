"""The photo upload page refuses bad files next to the file field, keeps the
other fields as typed, and stores nothing: too large, not an image though named
.jpg, a decompression bomb (past twice the pixel limit Pillow raises
DecompressionBombError), a truncated JPEG, an empty file."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from skinterval.photos import imaging
from skinterval.photos.models import Photo
from skinterval.photos.tests.factories import image_bytes, sign_photo_consent


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"
    return settings.SKINTERVAL_PHOTO_DIR


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def _big(limit: int) -> bytes:
    return image_bytes() + b"\x00" * (limit + 1)


CASES = {
    "too large": (lambda: _big(imaging.MAX_BYTES), "photo.jpg"),
    "script named .jpg": (lambda: b"#!/bin/sh\necho pwned\n", "photo.jpg"),
    "HTML named .png": (lambda: b"<html><script>alert(1)</script></html>", "scan.png"),
    "decompression bomb": (lambda: _png_header(40_000, 40_000), "bomb.png"),
    "truncated JPEG": (lambda: image_bytes(size=(640, 480))[:600], "photo.jpg"),
    "zero bytes": (lambda: b"", "photo.jpg"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_stored(
    case, world_a, as_user, private_dir
):
    make, name = CASES[case]
    sign_photo_consent(world_a)
    url = reverse("photos:upload", args=[world_a.patient.pk])
    with time_machine.travel(datetime(2027, 1, 4, 10, tzinfo=UTC), tick=False):
        response = as_user(world_a.practitioner.user).post(
            url,
            {
                "image": SimpleUploadedFile(name, make(), content_type="image/jpeg"),
                "area": "chin",
                "view": "left_45",
                "taken_on": "2027-01-03",
            },
        )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors.get("image"), form.errors
    assert set(form.errors) == {"image"}
    body = response.content.decode()
    assert str(form.errors["image"][0]).replace("'", "&#x27;") in body
    assert 'value="2027-01-03"' in body  # the rest is kept as typed
    assert (form["area"].value(), form["view"].value()) == ("chin", "left_45")
    assert not Photo.objects.exists()
    assert not private_dir.exists() or not any(
        p.is_file() for p in private_dir.rglob("*")
    )


def test_pillow_refuses_past_twice_the_pixel_limit_with_a_bomb_error():
    """The bomb above is past Pillow's own hard limit (DecompressionBombError),
    not only our MAX_PIXELS check: both end as the same refusal."""
    from PIL import Image

    assert 2 * imaging.MAX_PIXELS < 40_000 * 40_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(_png_header(40_000, 40_000))).load()
