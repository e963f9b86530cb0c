"""Signing and withdrawing consent: the record, the text's hash, the tablet page."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from skinterval.charting import consent_texts
from skinterval.charting.models import Consent, ConsentStatus
from skinterval.charting.queries import consent_in_force
from skinterval.charting.services import ChartingRefused, sign_consent
from skinterval.charting.tests.conftest import NOW, consent

pytestmark = pytest.mark.django_db


def test_every_text_version_is_unique_and_hashes_exactly_what_is_shown():
    for text in consent_texts.TEXTS.values():
        assert text.sha256 == hashlib.sha256(text.text.encode()).hexdigest()
        for paragraph in (*text.paragraphs, *text.statements):
            assert paragraph in text.text
    assert len({t.sha256 for t in consent_texts.TEXTS.values()}) == len(
        consent_texts.TEXTS
    )
    for kind, text in consent_texts.CURRENT.items():
        assert text.kind == kind


def test_a_signed_consent_stores_version_hash_time_and_witness(world_a):
    row = consent(world_a)
    text = consent_texts.CURRENT["microneedling"]
    assert row.text_version == text.version
    assert row.text_sha256 == text.sha256
    assert row.signed_at == NOW
    assert row.witnessed_by == world_a.front_desk
    assert row.signed_via == "tablet"
    assert consent_in_force(world_a.patient, "microneedling") == row


def test_signing_again_replaces_the_consent_in_force(world_a):
    first = consent(world_a, "photos", photo_scope="record")
    second = consent(world_a, "photos", photo_scope="marketing")
    first.refresh_from_db()
    assert first.status == ConsentStatus.REPLACED
    assert consent_in_force(world_a.patient, "photos") == second


def test_an_outdated_text_version_or_a_missing_scope_is_refused(world_a):
    with pytest.raises(ChartingRefused):
        sign_consent(
            patient=world_a.patient,
            kind="microneedling",
            text_version="microneedling-1999-01",
            signed_name="x",
            witnessed_by=world_a.front_desk,
            now=NOW,
        )
    with pytest.raises(ChartingRefused):
        consent(world_a, "photos")
    assert not Consent.objects.exists()


def test_bob_signs_on_the_tablet_page(world_a, as_user):
    url = reverse("charting:sign", args=[world_a.patient.pk, "photos"])
    client = as_user(world_a.front_desk.user)
    page = client.get(url).content.decode()
    assert "Consent to clinical photographs" in page
    response = client.post(
        url,
        {
            "text_version": consent_texts.CURRENT["photos"].version,
            "photo_scope": "teaching",
            "has_read": "on",
            "agrees": "on",
            "signed_name": f"  {world_a.patient.full_name.upper()} ",
        },
    )
    assert response.status_code == 302
    row = Consent.objects.get()
    assert (row.kind, row.photo_scope, row.witnessed_by) == (
        "photos",
        "teaching",
        world_a.front_desk,
    )


def test_the_tablet_page_keeps_what_was_typed_and_says_what_is_missing(
    world_a, as_user
):
    url = reverse("charting:sign", args=[world_a.patient.pk, "photos"])
    response = as_user(world_a.front_desk.user).post(
        url,
        {
            "text_version": consent_texts.CURRENT["photos"].version,
            "has_read": "on",
            "signed_name": "Somebody Else",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose how your photographs may be used." in page
    assert "Tick this box to give your consent." in page
    assert "Type the name on the patient" in page
    assert 'value="Somebody Else"' in page
    assert not Consent.objects.exists()


def test_a_changed_text_is_refused_next_to_the_form(world_a, as_user):
    url = reverse("charting:sign", args=[world_a.patient.pk, "microneedling"])
    response = as_user(world_a.front_desk.user).post(
        url,
        {
            "text_version": "microneedling-1999-01",
            "has_read": "on",
            "agrees": "on",
            "signed_name": world_a.patient.full_name,
        },
    )
    assert response.status_code == 422
    assert "consent text has changed" in response.content.decode()


def test_withdrawal_is_recorded_and_the_consent_no_longer_counts(world_a, as_user):
    row = consent(world_a)
    response = as_user(world_a.front_desk.user).post(
        reverse("charting:withdraw", args=[row.pk]), {"reason": "Changed my mind"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == ConsentStatus.WITHDRAWN
    assert row.ended_at is not None
    assert row.withdrawn_by == world_a.front_desk
    assert row.withdrawal_reason == "Changed my mind"
    assert consent_in_force(world_a.patient, "microneedling") is None
    again = as_user(world_a.front_desk.user).post(
        reverse("charting:withdraw", args=[row.pk]), {}
    )
    assert again.status_code == 302


def test_other_clinics_and_patients_cannot_withdraw(world_a, world_b, pat, as_user):
    row = consent(world_a)
    url = reverse("charting:withdraw", args=[row.pk])
    assert as_user(world_b.practitioner.user).post(url).status_code == 404
    assert as_user(pat).post(url).status_code == 403
    row.refresh_from_db()
    assert row.status == ConsentStatus.SIGNED


def test_an_unknown_consent_kind_is_not_found(world_a, as_user):
    url = reverse("charting:sign", args=[world_a.patient.pk, "tattoo"])
    assert as_user(world_a.front_desk.user).get(url).status_code == 404


def test_the_consents_page_lists_history(world_a, as_user):
    consent(world_a, "photos", photo_scope="record")
    consent(world_a, "photos", photo_scope="teaching")
    page = (
        as_user(world_a.practitioner.user)
        .get(reverse("charting:consents", args=[world_a.patient.pk]))
        .content.decode()
    )
    assert "Replaced by a newer consent" in page
    assert "Clinical record and teaching" in page
    assert "Sign micro-needling treatment consent on the tablet" in page
