"""Adding a photo: consent first, bad files refused next to the field, metadata
gone, stored under a random name in the private folder."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.urls import reverse
from PIL import Image

from skinterval.audit.models import AuditEvent
from skinterval.photos import imaging
from skinterval.photos.models import Photo
from skinterval.photos.services import PhotoRefused, upload_photo
from skinterval.photos.tests.factories import (
    UPLOADED_AT,
    image_bytes,
    sign_photo_consent,
    upload_file,
)
from skinterval.photos.tests.test_imaging import (
    SCRIPT,
    SVG,
    jpeg_with_gps,
    png_claiming,
)


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "private-media" / "photos"
    return settings.SKINTERVAL_PHOTO_DIR


@pytest.fixture(autouse=True)
def clock():
    """The pages take `now` from the clock: the Monday the photos are taken."""
    with time_machine.travel(UPLOADED_AT, tick=False):
        yield


def _upload(world, *, data=None, name="photo.jpg", **overrides):
    values = {
        "patient": world.patient,
        "uploaded_by": world.practitioner,
        "upload": io.BytesIO(image_bytes() if data is None else data),
        "client_name": name,
        "area": "cheeks",
        "view": "front",
        "taken_on": date(2027, 1, 4),
        "now": UPLOADED_AT,
    }
    values.update(overrides)
    return upload_photo(**values)


def _stored_files(folder):
    return (
        sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    )


def test_no_photo_without_the_photo_consent_in_force(world_a, private_dir):
    with pytest.raises(PhotoRefused) as refused:
        _upload(world_a)
    assert refused.value.code == "no_consent"
    assert not Photo.objects.exists()
    assert _stored_files(private_dir) == []


def test_a_photo_records_the_consent_and_scope_it_was_taken_under(world_a, private_dir):
    consent = sign_photo_consent(world_a, scope="teaching")
    photo = _upload(world_a, area="chin", view="left_45")
    assert photo.consent == consent
    assert photo.photo_scope == "teaching"
    assert (photo.area, photo.view, photo.taken_on) == (
        "chin",
        "left_45",
        date(2027, 1, 4),
    )
    assert photo.uploaded_by == world_a.practitioner
    assert photo.clinic == world_a.clinic
    # Stored under a random name inside the private folder, with its hash.
    stored = private_dir / photo.storage_name
    assert _stored_files(private_dir) == [stored]
    assert stored.name != "photo.jpg"
    assert "photo" not in photo.storage_name
    assert (stored.stat().st_mode & 0o777) == 0o600
    event = AuditEvent.objects.get(object_type="photos.photo")
    assert (event.action, event.object_id) == ("create", str(photo.pk))
    assert event.actor_user_id == world_a.practitioner.user_id


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        pytest.param(SCRIPT, "holiday.jpg", "not_an_image", id="script renamed .jpg"),
        pytest.param(SVG, "scar.svg", "bad_name", id="SVG by name"),
        pytest.param(SVG, "scar.jpg", "not_an_image", id="SVG renamed .jpg"),
        pytest.param(None, "../../../etc/cron.d/x.jpg", "bad_name", id="../ name"),
        pytest.param(None, "..\\..\\x.jpg", "bad_name", id="..\\ name"),
        pytest.param(None, "photo.exe", "bad_name", id="wrong extension"),
        pytest.param(
            png_claiming(30_000, 30_000), "bomb.png", "too_many_pixels", id="bomb"
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    data, name, code, world_a, private_dir
):
    sign_photo_consent(world_a)
    with pytest.raises(PhotoRefused) as refused:
        _upload(world_a, data=data, name=name)
    assert (refused.value.code, refused.value.field) == (code, "image")
    assert not Photo.objects.exists()
    assert _stored_files(private_dir) == []
    assert not AuditEvent.objects.filter(object_type="photos.photo").exists()


def test_an_oversized_file_is_refused_without_reading_it_all(world_a, private_dir):
    sign_photo_consent(world_a)
    huge = io.BytesIO(b"\xff\xd8\xff" + b"\x00" * (imaging.MAX_BYTES + 10))
    with pytest.raises(PhotoRefused) as refused:
        _upload(world_a, upload=huge)
    assert refused.value.code == "too_large"
    assert huge.tell() == imaging.MAX_BYTES + 1
    assert _stored_files(private_dir) == []


def test_a_date_in_the_future_is_refused(world_a):
    sign_photo_consent(world_a)
    with pytest.raises(PhotoRefused) as refused:
        _upload(world_a, taken_on=date(2027, 1, 5))
    assert refused.value.field == "taken_on"


def test_only_clinicians_of_the_patients_clinic_add_photos(world_a, world_b):
    sign_photo_consent(world_a)
    for member in (world_a.front_desk, world_b.practitioner):
        with pytest.raises(PermissionDenied):
            _upload(world_a, uploaded_by=member)
    assert _upload(world_a, uploaded_by=world_a.owner).pk


# --- through the page ---------------------------------------------------------


def _post(client, world, data, name="photo.jpg", **fields):
    form = {
        "image": upload_file(data, name),
        "area": "cheeks",
        "view": "front",
        "taken_on": "2027-01-04",
        **fields,
    }
    return client.post(reverse("photos:upload", args=[world.patient.pk]), form)


def test_the_upload_page_stores_a_photo_without_its_metadata(
    world_a, alice, as_user, private_dir
):
    sign_photo_consent(world_a)
    client = as_user(alice)
    response = _post(client, world_a, jpeg_with_gps())
    assert response.status_code == 302
    assert response["Location"] == reverse("photos:patient", args=[world_a.patient.pk])
    photo = Photo.objects.get()

    served = client.get(reverse("photos:image", args=[photo.pk]))
    assert served.status_code == 200
    body = served.content
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert "comment" not in image.info
    assert b"Exif" not in body
    assert b"SecretCam" not in body
    assert (private_dir / photo.storage_name).read_bytes() == body


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        pytest.param(SCRIPT, "holiday.jpg", "not a JPEG or PNG", id="script"),
        pytest.param(SVG, "scar.svg", "must end in .jpg", id="svg"),
        pytest.param(
            png_claiming(30_000, 30_000), "a.png", "million pixels", id="bomb"
        ),
    ],
)
def test_a_refused_file_is_explained_next_to_the_field_and_the_rest_is_kept(
    data, name, message, world_a, alice, as_user, private_dir
):
    sign_photo_consent(world_a)
    response = _post(as_user(alice), world_a, data, name, area="chin", view="right_90")
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert '<option value="chin" selected>' in html
    assert re.search(r'value="right_90"[^>]*checked', html)
    assert 'value="2027-01-04"' in html
    assert not Photo.objects.exists()
    assert _stored_files(private_dir) == []


def test_an_oversized_upload_is_refused_by_the_page(
    world_a, alice, as_user, private_dir
):
    sign_photo_consent(world_a)
    too_big = b"\xff\xd8\xff" + b"\x00" * imaging.MAX_BYTES
    response = _post(as_user(alice), world_a, too_big)
    assert response.status_code == 422
    assert "larger than 15 MB" in response.content.decode()
    assert "Choose the photo file" not in response.content.decode()
    assert not Photo.objects.exists()


def test_a_dot_dot_slash_name_never_reaches_the_disk(
    world_a, alice, as_user, private_dir, tmp_path
):
    """Django keeps only the last part of an uploaded file's name, and the photo
    is stored under a random name anyway: nothing is written outside the folder
    and the client's name is not used."""
    sign_photo_consent(world_a)
    response = _post(as_user(alice), world_a, image_bytes(), "../../escape.jpg")
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert "escape" not in photo.storage_name
    assert [p.name for p in tmp_path.rglob("escape*")] == []
    assert _stored_files(private_dir) == [private_dir / photo.storage_name]


def test_the_service_refuses_a_dot_dot_slash_name_given_directly(world_a):
    sign_photo_consent(world_a)
    upload = File(io.BytesIO(image_bytes()), name="../../escape.jpg")
    with pytest.raises(PhotoRefused) as refused:
        _upload(world_a, upload=upload, name=upload.name)
    assert refused.value.code == "bad_name"


def test_without_consent_the_upload_page_offers_to_sign_it(world_a, alice, as_user):
    response = as_user(alice).get(reverse("photos:upload", args=[world_a.patient.pk]))
    html = response.content.decode()
    assert "No photo consent in force" in html
    assert reverse("charting:sign", args=[world_a.patient.pk, "photos"]) in html
    assert '<form method="post" enctype' not in html
    response = _post(as_user(alice), world_a, image_bytes())
    assert response.status_code == 422
    assert "No photo is taken without the patient&#x27;s photo consent" in (
        response.content.decode()
    )
    assert not Photo.objects.exists()


def test_the_upload_page_shows_the_capture_guide_as_clinic_guidance(
    world_a, alice, as_user
):
    sign_photo_consent(world_a)
    html = (
        as_user(alice)
        .get(reverse("photos:upload", args=[world_a.patient.pk]))
        .content.decode()
    )
    assert "How to take the photo" in html
    assert "Clinic guidance" in html
    for topic in ("Lighting:", "Distance:", "Background:", "Views:"):
        assert topic in html


def test_the_upload_form_needs_a_valid_csrf_token(world_a, alice):
    from django.test import Client

    from skinterval.testing import log_in_client

    sign_photo_consent(world_a)
    client = log_in_client(Client(enforce_csrf_checks=True), alice)
    response = _post(client, world_a, image_bytes())
    assert response.status_code == 403
    assert not Photo.objects.exists()
