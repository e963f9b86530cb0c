"""The Django admin is scoped to the clinic owner's own clinic, on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from skinterval.clinics.models import Device, Location, Room, StaffMember
from skinterval.patients.models import Patient

# model admin url prefix -> attribute of a ClinicWorld holding one row of it
SCOPED = [
    ("clinics_clinic", "clinic"),
    ("clinics_location", "location"),
    ("clinics_room", "room"),
    ("clinics_device", "device"),
    ("clinics_staffmember", "practitioner"),
    ("patients_patient", "patient"),
]


def _change_url(prefix: str, obj) -> str:
    return reverse(f"admin:{prefix}_change", args=[obj.pk])


@pytest.mark.parametrize(("prefix", "attr"), SCOPED)
def test_owner_lists_only_their_clinics_rows(prefix, attr, world_a, world_b, as_user):
    response = as_user(world_a.owner.user).get(reverse(f"admin:{prefix}_changelist"))
    assert response.status_code == 200
    ids = {obj.pk for obj in response.context["cl"].result_list}
    assert getattr(world_a, attr).pk in ids
    assert getattr(world_b, attr).pk not in ids


@pytest.mark.parametrize(("prefix", "attr"), SCOPED)
def test_owner_cannot_open_another_clinics_row(prefix, attr, world_a, world_b, as_user):
    client = as_user(world_a.owner.user)
    response = client.get(_change_url(prefix, getattr(world_b, attr)))
    assert response.status_code == 302  # "doesn't exist", back to the admin index
    assert response["Location"] == reverse("admin:index")
    own = client.get(_change_url(prefix, getattr(world_a, attr)))
    assert own.status_code == 200


@pytest.mark.parametrize(("prefix", "attr"), SCOPED)
def test_owner_cannot_change_another_clinics_row(
    prefix, attr, world_a, world_b, as_user
):
    target = getattr(world_b, attr)
    before = type(target).objects.get(pk=target.pk)
    as_user(world_a.owner.user).post(_change_url(prefix, target), {"name": "hijacked"})
    after = type(target).objects.get(pk=target.pk)
    assert getattr(after, "name", None) == getattr(before, "name", None)


@pytest.mark.parametrize("persona", ["practitioner", "front_desk"])
def test_staff_without_the_owner_role_have_no_admin(persona, world_a, as_user):
    user = getattr(world_a, persona).user
    user.is_staff = True  # even if someone ticks the box by mistake
    user.save()
    response = as_user(user).get(reverse("admin:patients_patient_changelist"))
    assert response.status_code == 403


def test_patients_and_anonymous_are_sent_to_the_admin_login(
    world_a, pat, as_user, client
):
    for browser in (client, as_user(pat)):
        response = browser.get(reverse("admin:patients_patient_changelist"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_logins_are_not_listed_to_clinic_owners(world_a, as_user):
    response = as_user(world_a.owner.user).get(
        reverse("admin:accounts_user_changelist")
    )
    assert response.status_code == 403


def test_foreign_key_choices_offer_only_the_owners_clinic(world_a, world_b, as_user):
    response = as_user(world_a.owner.user).get(reverse("admin:clinics_room_add"))
    choices = response.context["adminform"].form.fields["location"].queryset
    assert set(choices) == {world_a.location}
    assert "clinic" not in response.context["adminform"].form.fields


def test_rows_added_by_an_owner_belong_to_the_owners_clinic(world_a, world_b, as_user):
    client = as_user(world_a.owner.user)
    response = client.post(
        reverse("admin:clinics_room_add"),
        {"location": world_a.location.pk, "name": "New room", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    room = Room.objects.get(name="New room")
    assert room.clinic == world_a.clinic


def test_an_owner_cannot_attach_a_row_to_another_clinics_location(
    world_a, world_b, as_user
):
    response = as_user(world_a.owner.user).post(
        reverse("admin:clinics_device_add"),
        {"location": world_b.location.pk, "name": "Stray pen", "max_depth_mm": "1.0"},
    )
    assert response.status_code == 200
    assert "location" in response.context["adminform"].form.errors
    assert not Device.objects.filter(name="Stray pen").exists()


def test_owner_adds_a_patient_to_their_own_clinic(world_a, as_user):
    response = as_user(world_a.owner.user).post(
        reverse("admin:patients_patient_add"),
        {
            "chart_number": "NEW-1",
            "given_name": "Nova",
            "family_name": "Adams",
            "born_on": "1991-02-03",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(chart_number="NEW-1").clinic == world_a.clinic


def test_other_owner_sees_only_their_own(world_a, world_b, as_user):
    response = as_user(world_b.owner.user).get(
        reverse("admin:clinics_location_changelist")
    )
    assert list(response.context["cl"].result_list) == [world_b.location]
    assert Location.objects.count() == 2
    assert StaffMember.objects.filter(clinic=world_b.clinic).count() == 3
