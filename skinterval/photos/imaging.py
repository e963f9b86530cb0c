"""Turning an uploaded file into a clean JPEG, or refusing it.

Nothing of the uploaded file is kept but its pixels: it must be a JPEG or PNG by
its first bytes (not by its name or the browser's word), within the byte and pixel
limits, and decode completely; then its pixels are copied into a new image and
written as a new JPEG, so no EXIF (GPS position, camera serial, time), XMP, IPTC,
ICC profile, comment or trailing data survives. The orientation in the EXIF is
applied to the pixels first, so the photo still shows the right way up.

No Django here: bytes in, bytes out.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

# A phone photo is 2-8 MB; 15 MB leaves room for a camera's JPEG at full quality.
MAX_BYTES = 15 * 1024 * 1024
# 50 megapixels: a 48 MP phone sensor fits; a decompression bomb does not.
MAX_PIXELS = 50_000_000
# The stored photo's longest side: detail enough for scars, at a sane size.
MAX_EDGE_PX = 4096
JPEG_QUALITY = 90

# Pillow warns above this many pixels and refuses above twice as many; the warning
# is turned into a refusal below, and the size is also checked by hand.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_SIGNATURES = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
}
_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr"}


class ImageRefused(Exception):
    """Not a photo we keep; `code` says why (tests and logs), the caller words it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class CleanImage:
    jpeg: bytes
    width_px: int
    height_px: int
    sha256: str


def detect_format(data: bytes) -> str | None:
    """ "JPEG" or "PNG" from the file's first bytes, or None."""
    for name, signatures in _SIGNATURES.items():
        if data.startswith(signatures):
            return name
    return None


def clean_image(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> CleanImage:
    """The photo re-encoded as a metadata-free JPEG, or ImageRefused."""
    if len(data) > max_bytes:
        raise ImageRefused("too_large")
    kind = detect_format(data)
    if kind is None:
        raise ImageRefused("not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            _check_header(data, kind, max_pixels)
            with Image.open(io.BytesIO(data), formats=[kind]) as probe:
                probe.verify()  # structure and checksums, before decoding
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.load()  # a truncated or corrupt file fails here
                pixels = _pixels_only(image)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except Exception:  # any failure to parse untrusted bytes is a refusal
        raise ImageRefused("corrupt") from None
    out = io.BytesIO()
    pixels.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    jpeg = out.getvalue()
    return CleanImage(
        jpeg=jpeg,
        width_px=pixels.width,
        height_px=pixels.height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
    )


def _check_header(data: bytes, kind: str, max_pixels: int) -> None:
    """Refuse by the size the header claims, before any pixel is decoded."""
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise ImageRefused("too_many_pixels")
        if image.mode not in _MODES:
            raise ImageRefused("unsupported_colour")
        if getattr(image, "n_frames", 1) != 1:
            raise ImageRefused("animated")


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB image holding only the pixels, turned upright and bounded."""
    upright = ImageOps.exif_transpose(image) or image
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    rgb = upright.convert("RGB")
    rgb.thumbnail((MAX_EDGE_PX, MAX_EDGE_PX), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean
