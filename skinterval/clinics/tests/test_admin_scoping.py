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
    ("clinics_timeoff", "time_off"),
    ("clinics_closure", "closure"),
    ("appointments_servicetype", "service_type"),
    ("appointments_appointment", "appointment"),
    ("plans_plan", "plan"),
]
READ_ONLY = {"appointments_appointment", "plans_plan"}


@pytest.fixture(autouse=True)
def _more_rows(world_a, world_b):
    """One row of every admin-managed kind in each clinic."""
    from datetime import date, timedelta

    from skinterval.appointments.models import Appointment, ServiceType
    from skinterval.clinics.models import Closure, TimeOff
    from skinterval.plans.models import Plan

    for w in (world_a, world_b):
        w.time_off = TimeOff.objects.create(
            clinic=w.clinic,
            staff_member=w.practitioner,
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 2, 2),
        )
        w.closure = Closure.objects.create(
            clinic=w.clinic, starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 1)
        )
        w.service_type = ServiceType.objects.create(
            clinic=w.clinic, kind="consultation", name="Consultation", duration_min=30
        )
        starts = w.clinic.created_at + timedelta(days=30)
        w.appointment = Appointment.objects.create(
            clinic=w.clinic,
            patient=w.patient,
            service_type=w.service_type,
            practitioner=w.practitioner,
            location=w.location,
            room=w.room,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            blocked_from_at=starts,
            blocked_until_at=starts + timedelta(minutes=30),
        )
        w.plan = Plan.objects.create(
            clinic=w.clinic,
            patient=w.patient,
            version=1,
            assessed_on=date(2027, 1, 4),
            assessment={},
            plan={},
            rules_version="test",
            decision="proceed",
            requires_physician_review=False,
            interval_min_days=28,
            interval_target_days=28,
            interval_max_days=42,
            created_by=w.practitioner,
        )


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


@pytest.mark.parametrize("prefix", sorted(READ_ONLY))
def test_appointments_and_plans_are_read_only_in_the_admin(prefix, world_a, as_user):
    client = as_user(world_a.owner.user)
    assert client.get(reverse(f"admin:{prefix}_add")).status_code == 403
    page = client.get(_change_url(prefix, getattr(world_a, dict(SCOPED)[prefix])))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


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
