"""`manage.py seed_demo`: the contract's logins, idempotent, demo mode only."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.clinics.models import Clinic, StaffMember, StaffRole
from skinterval.clinics.queries import staff_member_for
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession, PlanStatus


def _login_request():
    """authenticate() needs the request: the lockout backend counts by address."""
    return RequestFactory().post("/accounts/login/")


@pytest.fixture
def seeded(db, settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)


@pytest.mark.parametrize(
    ("username", "role", "clinic_slug"),
    [
        ("admin", StaffRole.OWNER, "harbour"),
        ("alice", StaffRole.PRACTITIONER, "harbour"),
        ("bob", StaffRole.FRONT_DESK, "harbour"),
        ("charlie", StaffRole.PRACTITIONER, "northside"),
    ],
)
def test_demo_staff_logins_exist_with_password_demo(
    seeded, username, role, clinic_slug
):
    user = authenticate(_login_request(), username=username, password="demo")
    assert user is not None
    member = staff_member_for(user)
    assert member is not None
    assert member.role == role
    assert member.clinic.slug == clinic_slug


def test_pat_is_a_patient_of_the_first_clinic(seeded):
    user = authenticate(_login_request(), username="pat", password="demo")
    assert user is not None
    assert Patient.objects.get(user=user).clinic.slug == "harbour"


def test_the_demo_clinic_is_believable(seeded):
    harbour = Clinic.objects.get(slug="harbour")
    assert harbour.location_set.count() == 2
    practitioners = StaffMember.objects.filter(
        clinic=harbour, role=StaffRole.PRACTITIONER
    )
    assert practitioners.count() == 3
    assert all(p.working_intervals.exists() for p in practitioners)
    assert harbour.device_set.count() == 2
    assert harbour.room_set.count() >= 2
    assert 38 <= Patient.objects.filter(clinic=harbour).count() <= 45


def _counts():
    return [
        m.objects.count()
        for m in (Clinic, StaffMember, Patient, Plan, PlanSession, Appointment)
    ]


def test_seeding_twice_changes_nothing(seeded):
    counts = _counts()
    call_command("seed_demo", verbosity=0)
    assert counts == _counts()


def test_demo_patients_are_at_every_stage_of_a_course(seeded):
    harbour = Clinic.objects.get(slug="harbour")
    plans = Plan.objects.filter(clinic=harbour)
    assert plans.filter(status=PlanStatus.DRAFT, decision="proceed").exists()
    assert plans.filter(decision="defer").exists()
    assert plans.filter(decision="decline").exists()
    assert plans.filter(requires_physician_review=True).exists()
    assert plans.filter(status=PlanStatus.APPROVED).count() >= 20
    done = Appointment.objects.filter(
        clinic=harbour, status=AppointmentStatus.COMPLETED
    )
    booked = Appointment.objects.filter(clinic=harbour, status=AppointmentStatus.BOOKED)
    assert done.count() >= 15
    assert booked.count() >= 10
    assert not Appointment.objects.filter(outside_window=True).exists()
    pat = Patient.objects.get(user__username="pat")
    assert pat.appointments.filter(status=AppointmentStatus.COMPLETED).exists()
    assert pat.appointments.filter(status=AppointmentStatus.BOOKED).exists()


def test_seed_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="SKINTERVAL_DEMO=1"):
        call_command("seed_demo")
    assert not Clinic.objects.exists()


def test_demo_staff_have_the_demo_authenticator_and_pat_has_none(seeded):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from skinterval.accounts.two_factor import DEMO_TOTP_KEY

    for username in ("admin", "alice", "bob", "charlie"):
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed
        assert device.key == DEMO_TOTP_KEY
    assert not TOTPDevice.objects.filter(user__username="pat").exists()
    call_command("seed_demo", verbosity=0)  # idempotent
    assert TOTPDevice.objects.filter(user__username="alice").count() == 1


def test_a_demo_login_gets_in_with_the_code_the_page_shows(seeded, client):
    import re

    from django.urls import reverse

    response = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": "demo"},
        follow=True,
    )
    text = response.content.decode()
    assert "Demo:" in text
    code = re.search(r"current code (\d{6})", text)
    assert code is not None
    response = client.post(reverse("accounts:otp_verify"), {"code": code[1]})
    assert response.status_code == 302
    assert client.get(reverse("clinics:dashboard")).status_code == 200
