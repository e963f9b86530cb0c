"""Staff pass a TOTP second factor before any staff page, patient data or the
admin; patients do not. Wrong codes are refused, throttled and audited."""

from __future__ import annotations

from base64 import b32decode
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from skinterval import testing as t
from skinterval.accounts.two_factor import DEMO_TOTP_KEY, usable_code
from skinterval.audit.models import AuditEvent

ADDRESS = "198.51.100.9"
START = datetime(2027, 1, 4, 9, 0, 10, tzinfo=UTC)
VERIFY = reverse("accounts:otp_verify")
SETUP = reverse("accounts:otp_setup")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password_only(user):
    """Logged in with the password, second factor not passed yet."""
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def _staff_pages(world):
    return {
        "home": reverse("home"),
        "dashboard": reverse("clinics:dashboard"),
        "patient list": reverse("patients:list"),
        "patient chart": reverse("patients:detail", args=[world.patient.pk]),
        "calendar": reverse("calendar:page"),
        "calendar events": reverse("calendar:events")
        + "?start=2027-01-04&end=2027-01-11",
        "audit log": reverse("audit:search"),
        "admin": reverse("admin:index"),
        "admin patients": reverse("admin:patients_patient_changelist"),
    }


PAGES = [
    "home",
    "dashboard",
    "patient list",
    "patient chart",
    "calendar",
    "calendar events",
    "audit log",
    "admin",
    "admin patients",
]


@pytest.mark.parametrize("page", PAGES)
def test_unverified_staff_are_sent_to_the_two_factor_page(world_a, page):
    olivia = world_a.owner.user  # owner: every page above is hers once verified
    t.totp_device_for(olivia)
    t.make_appointment(world_a)
    url = _staff_pages(world_a)[page]
    client = _password_only(olivia)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")
    followed = client.get(url, follow=True)
    text = followed.content.decode()
    assert followed.redirect_chain[-1][0].startswith(VERIFY)
    assert "PatientA" not in text
    assert world_a.patient.chart_number not in text


@pytest.mark.parametrize("page", PAGES)
def test_verified_staff_reach_the_same_pages(world_a, as_user, page):
    t.make_appointment(world_a)
    client = as_user(world_a.owner.user)
    response = client.get(_staff_pages(world_a)[page])
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # home sends staff on to their clinic
        assert not response["Location"].startswith(VERIFY)


def test_staff_without_a_device_are_sent_to_set_one_up(world_a):
    client = _password_only(world_a.practitioner.user)
    response = client.get(reverse("clinics:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP + "?next=")


def test_other_methods_are_refused_with_403(world_a):
    t.totp_device_for(world_a.front_desk.user)
    client = _password_only(world_a.front_desk.user)
    response = client.post(reverse("patients:list"), {"q": "Primary"})
    assert response.status_code == 403
    assert "PatientA" not in response.content.decode()
    htmx = client.get(reverse("clinics:dashboard"), headers={"HX-Request": "true"})
    assert htmx.status_code == 403
    assert htmx["HX-Redirect"] == VERIFY


def test_the_api_and_fhir_accept_no_session_at_all(world_a):
    """They authenticate by bearer token only (config/api.py, interop/fhir_views.py):
    an unverified staff session gets nothing there either."""
    t.totp_device_for(world_a.practitioner.user)
    client = _password_only(world_a.practitioner.user)
    api = client.get("/api/patients/")
    assert api.status_code == 401
    fhir = client.get(
        reverse("fhir:patient_everything", args=[str(world_a.patient.pk)])
    )
    assert fhir.status_code == 401
    for response in (api, fhir):
        assert "PatientA" not in response.content.decode()


def test_patients_are_not_asked_for_a_second_factor(world_a, pat):
    client = Client()
    client.force_login(pat)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=pat).exists()


def test_public_booking_pages_stay_open(world_a):
    t.totp_device_for(world_a.practitioner.user)
    client = _password_only(world_a.practitioner.user)
    response = client.get(reverse("booking:start", args=[world_a.clinic.slug]))
    assert response.status_code != 302


def test_the_right_code_lets_staff_in_and_is_audited(world_a):
    alice = world_a.practitioner.user
    device = t.totp_device_for(alice)
    client = _password_only(alice)
    before = client.session.session_key

    response = client.post(
        VERIFY, {"code": usable_code(device), "next": reverse("clinics:dashboard")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clinics:dashboard")
    assert client.get(reverse("clinics:dashboard")).status_code == 200
    assert client.session.session_key != before  # a new session id
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    event = AuditEvent.objects.get(action="otp_verified")
    assert (event.actor_user_id, event.actor_role) == (alice.pk, "practitioner")
    assert (event.object_type, event.object_id) == ("accounts.user", str(alice.pk))
    assert event.source_ip == ADDRESS


def test_a_wrong_code_is_refused_and_audited(world_a):
    alice = world_a.practitioner.user
    device = t.totp_device_for(alice)
    client = _password_only(alice)
    wrong = f"{(int(usable_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("clinics:dashboard")).status_code == 302
    event = AuditEvent.objects.get(action="otp_failed")
    assert (event.actor_user_id, event.object_id) == (alice.pk, str(alice.pk))
    assert event.source_ip == ADDRESS
    assert wrong not in event.canonical_content()
    assert not AuditEvent.objects.filter(action="otp_verified").exists()


def test_wrong_codes_are_throttled(world_a, clock):
    alice = world_a.practitioner.user
    device = t.totp_device_for(alice)
    client = _password_only(alice)
    client.post(VERIFY, {"code": "000000"})  # one wrong code: a second's wait

    response = client.post(VERIFY, {"code": usable_code(device)})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("clinics:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action="otp_failed").count() == 2

    clock.shift(timedelta(seconds=1.5))
    response = client.post(VERIFY, {"code": usable_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("clinics:dashboard")).status_code == 200


def test_a_code_works_once(world_a):
    alice = world_a.practitioner.user
    device = t.totp_device_for(alice)
    code = usable_code(device)
    first = _password_only(alice)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = _password_only(alice)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert second.get(reverse("clinics:dashboard")).status_code == 302


def test_next_never_leads_to_another_site(world_a):
    device = t.totp_device_for(world_a.practitioner.user)
    client = _password_only(world_a.practitioner.user)
    response = client.post(
        VERIFY, {"code": usable_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_logging_out_ends_the_verified_session(world_a, as_user):
    alice = world_a.practitioner.user
    client = as_user(alice)
    client.post(reverse("accounts:logout"))
    client.force_login(alice)
    assert client.get(reverse("clinics:dashboard")).status_code == 302


def test_setup_shows_the_qr_code_and_key_and_the_first_code_confirms_it(world_a):
    alice = world_a.practitioner.user
    client = _password_only(alice)
    response = client.get(SETUP + "?next=/calendar/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in text
    assert "<title>QR code for your authenticator app</title>" in text
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    shown = response.context["secret_groups"]
    assert b32decode("".join(shown)) == device.bin_key
    assert " ".join(shown) in text
    assert response["Cache-Control"].startswith("max-age=0")
    # Reloading shows the same key.
    again = client.get(SETUP)
    assert again.context["secret_groups"] == shown

    response = client.post(SETUP, {"code": usable_code(device), "next": "/calendar/"})
    assert response.status_code == 302
    assert response["Location"] == "/calendar/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("calendar:page")).status_code == 200
    event = AuditEvent.objects.get(action="otp_setup")
    assert (event.actor_user_id, event.object_id) == (alice.pk, str(alice.pk))
    # With a confirmed device the set-up page is closed: it leads to verify.
    other = _password_only(alice)
    assert other.get(SETUP)["Location"].startswith(VERIFY)


def test_setup_with_a_wrong_code_confirms_nothing(world_a):
    alice = world_a.practitioner.user
    client = _password_only(alice)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "123456x"})
    assert response.status_code == 200
    response = client.post(SETUP, {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert client.get(reverse("clinics:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action="otp_failed").count() == 1


def _demo_device(user):
    return TOTPDevice.objects.create(
        user=user, name="Demo authenticator", key=DEMO_TOTP_KEY, confirmed=True
    )


def test_no_demo_hint_when_demo_mode_is_off(world_a, settings):
    settings.DEMO_MODE = False
    device = _demo_device(world_a.practitioner.user)
    response = _password_only(world_a.practitioner.user).get(VERIFY)
    text = response.content.decode()
    assert "Demo:" not in text
    assert usable_code(device) not in text


def test_demo_mode_shows_the_demo_devices_current_code(world_a, settings):
    settings.DEMO_MODE = True
    device = _demo_device(world_a.practitioner.user)
    client = _password_only(world_a.practitioner.user)
    text = client.get(VERIFY).content.decode()
    assert "Demo:" in text
    assert f"current code {usable_code(device)}" in text
    assert client.post(VERIFY, {"code": usable_code(device)}).status_code == 302


def test_demo_mode_never_shows_the_code_of_a_real_device(world_a, settings):
    settings.DEMO_MODE = True
    device = t.totp_device_for(world_a.practitioner.user)
    text = _password_only(world_a.practitioner.user).get(VERIFY).content.decode()
    assert "Demo:" not in text
    assert usable_code(device) not in text


def test_a_lost_device_is_removed_by_command_and_a_new_one_set_up(world_a, as_user):
    alice = world_a.practitioner.user
    verified = as_user(alice)
    call_command("remove_two_factor", "alice", stdout=StringIO())

    assert not TOTPDevice.objects.filter(user=alice).exists()
    # The session verified with the old device is no longer verified.
    response = verified.get(reverse("clinics:dashboard"))
    assert response["Location"].startswith(SETUP)
    event = AuditEvent.objects.get(action="otp_removed")
    assert (event.actor_role, event.object_id) == ("system", str(alice.pk))
    assert event.clinic_id == world_a.clinic.pk
