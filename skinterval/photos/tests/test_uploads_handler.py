"""The size-limiting upload handler: a file past the limit is never kept."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from skinterval.photos.uploads import limit_uploads, too_large


def _request(size: int):
    return RequestFactory().post(
        "/photos/x/add/",
        {"image": SimpleUploadedFile("a.jpg", b"\xff" * size), "area": "chin"},
    )


def test_a_file_past_the_limit_is_dropped_and_flagged():
    request = _request(5000)
    limit_uploads(request, 4999)
    assert "image" not in request.FILES
    assert request.POST["area"] == "chin"  # the other fields are kept
    assert too_large(request)


def test_a_file_within_the_limit_is_kept():
    request = _request(5000)
    limit_uploads(request, 5000)
    assert request.FILES["image"].size == 5000
    assert not too_large(request)
