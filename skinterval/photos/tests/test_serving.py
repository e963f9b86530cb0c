"""Serving a photo: only to the patient's clinic and the patient, never from its
storage path, with safe headers, and every view audited."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from skinterval.audit.models import AuditEvent
from skinterval.audit.queries import verify_chain
from skinterval.photos.models import Photo
from skinterval.photos.tests.factories import make_photo, sign_photo_consent


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "private-media" / "photos"
    return settings.SKINTERVAL_PHOTO_DIR


def _url(photo):
    return reverse("photos:image", args=[photo.pk])


def _views():
    return AuditEvent.objects.filter(action="view", object_type="photos.photo")


def test_the_photo_is_served_with_safe_headers(world_a, alice, as_user, private_dir):
    photo = make_photo(world_a)
    response = as_user(alice).get(_url(photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert hashlib.sha256(response.content).hexdigest() == photo.sha256
    # Nothing about the patient in the headers.
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    for value in (world_a.patient.given_name, world_a.patient.chart_number, "cheeks"):
        assert value not in headers


@pytest.mark.parametrize("persona", ["alice", "bob", "owner", "pat"])
def test_staff_of_the_clinic_and_the_patient_see_it(persona, world_a, pat, as_user):
    photo = make_photo(world_a)
    user = {
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "owner": world_a.owner.user,
        "pat": pat,
    }[persona]
    assert as_user(user).get(_url(photo)).status_code == 200


def test_refused_to_other_patients_other_clinics_and_anonymous(
    world_a, world_b, pat, charlie, as_user, client
):
    mine = make_photo(world_a)
    other_patients = make_photo(world_a, world_a.other_patient)
    other_clinics = make_photo(world_b)
    refusals = [
        (as_user(pat), other_patients, 404),
        (as_user(pat), other_clinics, 404),
        (as_user(charlie), mine, 404),
        (as_user(world_b.owner.user), mine, 404),
        (as_user(world_a.practitioner.user), other_clinics, 404),
    ]
    for browser, photo, status in refusals:
        response = browser.get(_url(photo))
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/html")
        assert photo.sha256 not in response.content.decode(errors="replace")
    anonymous = client.get(_url(mine))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert not _views().exists()


def test_a_made_up_photo_id_is_a_404(alice, as_user):
    response = as_user(alice).get(
        reverse("photos:image", args=["00000000-0000-4000-8000-000000000000"])
    )
    assert response.status_code == 404


def test_the_storage_path_is_never_served(world_a, alice, as_user, private_dir):
    photo = make_photo(world_a)
    assert (private_dir / photo.storage_name).exists()
    name = photo.storage_name
    browser = as_user(alice)
    for guess in (
        f"/media/{name}",
        f"/media/photos/{name}",
        f"/media/private-media/photos/{name}",
        f"/static/{name}",
        f"/static/photos/{name}",
        f"/static/private-media/photos/{name}",
        f"/private-media/photos/{name}",
        f"/var/private-media/photos/{name}",
        f"/photos/{name}",
        f"/photos/../private-media/photos/{name}",
    ):
        response = browser.get(guess)
        assert response.status_code == 404, guess
        assert photo.sha256 not in response.content.decode(errors="replace")


def test_every_view_is_written_to_the_audit_log(world_a, pat, as_user):
    photo = make_photo(world_a)
    viewers = [world_a.practitioner.user, world_a.front_desk.user, pat]
    for user in viewers:
        as_user(user).get(_url(photo), REMOTE_ADDR="192.0.2.10")
    as_user(pat).get(_url(photo), REMOTE_ADDR="192.0.2.11")  # twice: two rows

    rows = list(_views().order_by("id"))
    assert [(r.actor_user_id, r.actor_role) for r in rows] == [
        (world_a.practitioner.user_id, "practitioner"),
        (world_a.front_desk.user_id, "front_desk"),
        (pat.pk, "patient"),
        (pat.pk, "patient"),
    ]
    for row in rows:
        assert row.object_id == str(photo.pk)
        assert row.clinic_id == world_a.clinic.pk
    assert [r.source_ip for r in rows] == ["192.0.2.10"] * 3 + ["192.0.2.11"]
    assert verify_chain().ok


def test_a_photo_page_writes_no_view_until_a_photo_is_loaded(world_a, alice, as_user):
    make_photo(world_a)
    as_user(alice).get(reverse("photos:patient", args=[world_a.patient.pk]))
    assert not _views().exists()


def test_a_changed_file_is_not_served(world_a, alice, as_user, private_dir):
    photo = make_photo(world_a)
    stored = private_dir / photo.storage_name
    stored.write_bytes(stored.read_bytes() + b"<script>alert(1)</script>")
    assert as_user(alice).get(_url(photo)).status_code == 404
    stored.unlink()
    assert as_user(alice).get(_url(photo)).status_code == 404
    assert not _views().exists()


# --- consent ---------------------------------------------------------------


def _withdraw(world, at):
    from skinterval.charting.queries import consent_in_force
    from skinterval.charting.services import withdraw_consent

    consent = consent_in_force(world.patient, "photos")
    assert consent is not None
    withdraw_consent(
        consent=consent,
        withdrawn_by=world.front_desk,
        reason="",
        now=at,
    )


MONDAY = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def test_after_withdrawal_photos_are_no_longer_shown_and_the_pages_say_so(
    world_a, alice, pat, as_user
):
    photo = make_photo(world_a, now=MONDAY)
    _withdraw(world_a, MONDAY + timedelta(days=3))

    for user in (alice, pat):
        assert as_user(user).get(_url(photo)).status_code == 404
    staff_page = (
        as_user(alice)
        .get(reverse("photos:patient", args=[world_a.patient.pk]))
        .content.decode()
    )
    assert "Photo consent withdrawn on 7 Jan 2027" in staff_page
    assert "1 photo is hidden because the photo consent" in staff_page
    assert _url(photo) not in staff_page
    portal = as_user(pat).get(reverse("photos:mine")).content.decode()
    assert "You withdrew your photo consent on 7 Jan 2027" in portal
    assert _url(photo) not in portal
    chart = (
        as_user(alice)
        .get(reverse("patients:detail", args=[world_a.patient.pk]))
        .content.decode()
    )
    assert "1 photo hidden: its photo consent was withdrawn." in chart
    # Stored still, as part of the clinical record.
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_a_new_consent_does_not_bring_back_photos_taken_before_a_withdrawal(
    world_a, alice, as_user
):
    before = make_photo(world_a, now=MONDAY)
    _withdraw(world_a, MONDAY + timedelta(days=1))
    sign_photo_consent(world_a, now=MONDAY + timedelta(days=2))
    after = make_photo(world_a, now=MONDAY + timedelta(days=2))
    browser = as_user(alice)
    assert browser.get(_url(before)).status_code == 404
    assert browser.get(_url(after)).status_code == 200


def test_changing_the_scope_keeps_the_photos(world_a, alice, as_user):
    photo = make_photo(world_a, now=MONDAY)
    sign_photo_consent(world_a, scope="teaching", now=MONDAY + timedelta(days=1))
    assert as_user(alice).get(_url(photo)).status_code == 200
    photo.refresh_from_db()
    assert photo.photo_scope == "record"  # the scope it was taken under


# --- pages -------------------------------------------------------------------


def test_baseline_and_latest_of_the_same_area_and_view_side_by_side(
    world_a, alice, as_user
):
    baseline = make_photo(world_a, taken_on=date(2026, 11, 2), now=MONDAY)
    middle = make_photo(world_a, taken_on=date(2026, 12, 7), now=MONDAY)
    latest = make_photo(world_a, taken_on=date(2027, 1, 4), now=MONDAY)
    other_view = make_photo(world_a, view="left_45", now=MONDAY)
    other_area = make_photo(world_a, area="forehead", now=MONDAY)
    html = (
        as_user(alice)
        .get(reverse("photos:patient", args=[world_a.patient.pk]))
        .content.decode()
    )

    cheeks = html[html.index('id="series-cheeks-front-h"') :]
    cheeks = cheeks[: cheeks.index("</section>")]
    assert cheeks.index(_url(baseline)) < cheeks.index(_url(latest))
    assert "Cheeks, Front, baseline, 2 Nov 2026" in cheeks
    assert "Cheeks, Front, latest, 4 Jan 2027" in cheeks
    assert f'<img src="{_url(middle)}"' not in cheeks  # listed, not compared
    assert _url(middle) in cheeks
    assert _url(other_view) not in cheeks
    # Areas in body order (forehead before cheeks); a single photo waits.
    assert html.index("series-forehead-front-h") < html.index("series-cheeks-front-h")
    lone = html[html.index('id="series-forehead-front-h"') :]
    assert "Only the baseline so far" in lone[: lone.index("</section>")]
    assert _url(other_area) in lone


def test_the_staff_chart_links_to_the_photos(world_a, alice, as_user):
    make_photo(world_a, now=MONDAY)
    make_photo(world_a, taken_on=date(2027, 1, 1), now=MONDAY)
    html = (
        as_user(alice)
        .get(reverse("patients:detail", args=[world_a.patient.pk]))
        .content.decode()
    )
    assert 'id="photos-h"' in html
    assert "2 photos, 1 area and view — 1 with a baseline" in html
    assert reverse("photos:patient", args=[world_a.patient.pk]) in html


def test_the_patient_sees_only_their_own_photos_in_the_portal(world_a, pat, as_user):
    own = make_photo(world_a, now=MONDAY)
    other = make_photo(world_a, world_a.other_patient, now=MONDAY)
    html = as_user(pat).get(reverse("photos:mine")).content.decode()
    assert _url(own) in html
    assert _url(other) not in html
    assert 'aria-current="page">My photos' in html


def test_only_clinicians_see_the_add_button(world_a, alice, bob, as_user):
    sign_photo_consent(world_a)
    upload_url = reverse("photos:upload", args=[world_a.patient.pk])
    page = reverse("photos:patient", args=[world_a.patient.pk])
    assert upload_url in as_user(alice).get(page).content.decode()
    assert upload_url not in as_user(bob).get(page).content.decode()
