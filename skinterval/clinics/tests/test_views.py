"""The clinic overview shows the caller's own clinic and never another's."""

from __future__ import annotations

from django.urls import reverse


def test_alice_sees_her_clinic_with_locations_devices_and_practitioners(
    world_a, world_b, as_user
):
    response = as_user(world_a.practitioner.user).get(reverse("clinics:overview"))
    body = response.content.decode()
    assert response.status_code == 200
    assert world_a.clinic.name in body
    assert world_a.location.name in body
    assert world_a.room.name in body
    assert world_a.device.name in body
    assert world_a.practitioner.display_name in body
    assert "Monday 09:00–17:00" in body
    assert world_b.clinic.name not in body
    assert world_b.device.name not in body


def test_charlie_sees_only_his_own_clinic(world_a, world_b, as_user):
    body = as_user(world_b.practitioner.user).get(reverse("clinics:overview"))
    text = body.content.decode()
    assert world_b.clinic.name in text
    assert world_a.clinic.name not in text
    assert world_a.practitioner.display_name not in text


def test_home_sends_staff_to_their_clinic_and_patients_to_the_portal(
    world_a, pat, as_user
):
    staff = as_user(world_a.practitioner.user).get(reverse("home"))
    patient = as_user(pat).get(reverse("home"))
    assert staff["Location"] == reverse("clinics:overview")
    assert patient["Location"] == reverse("portal:home")


def test_a_login_without_clinic_or_patient_record_is_refused(db, as_user):
    from skinterval.testing import make_user

    response = as_user(make_user("stray")).get(reverse("home"))
    assert response.status_code == 403


def test_a_retired_staff_member_loses_access(world_a, as_user):
    world_a.practitioner.is_active = False
    world_a.practitioner.save()
    response = as_user(world_a.practitioner.user).get(reverse("clinics:overview"))
    assert response.status_code == 403
