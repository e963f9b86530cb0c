"""Demo photos: synthetic pictures for a few demo patients, through the real
upload service, under a photo consent; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from PIL import Image

from skinterval.audit.queries import verify_chain
from skinterval.charting.queries import consent_in_force
from skinterval.demo.photos import demo_image
from skinterval.patients.models import Patient
from skinterval.photos.models import Photo
from skinterval.photos.queries import photo_series


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.DEMO_MODE = True
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"
    call_command("seed_demo", verbosity=0)


def test_a_demo_image_is_a_synthetic_jpeg():
    data = demo_image(seed=1, label="cheeks, Front, visit 1")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (960, 720)
        # Blue-green, not skin: blue outweighs red on average.
        red, _, blue = (sum(band) for band in zip(*image.getdata(), strict=True))
        assert blue > red


def test_pat_and_two_treated_patients_have_photos(seeded, settings):
    pat = Patient.objects.get(chart_number="HSC-PAT")
    with_photos = Patient.objects.filter(photos__isnull=False).distinct()
    assert pat in with_photos
    assert with_photos.count() == 3
    for patient in with_photos:
        assert consent_in_force(patient, "photos") is not None
        series = photo_series(patient)
        assert {(s.area, s.view) for s in series} == {
            ("cheeks", "front"),
            ("cheeks", "left_45"),
        }
        # Pat has had one session (a baseline only); the others more, to compare.
        assert all(s.has_comparison != (patient == pat) for s in series)
    for photo in Photo.objects.all():
        assert (settings.SKINTERVAL_PHOTO_DIR / photo.storage_name).exists()
    assert verify_chain().ok


def test_seeding_twice_adds_no_photos(seeded):
    before = Photo.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Photo.objects.count() == before
