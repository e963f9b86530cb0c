"""Logging in and out with the real pages, and Argon2 hashing."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.urls import reverse

from skinterval import testing as t
from skinterval.accounts.two_factor import usable_code
from skinterval.testing import PASSWORD


def test_login_page_renders_a_labelled_form(client, db):
    response = client.get(reverse("accounts:login"))
    text = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">' in text
    assert '<label for="id_password">' in text


def test_alice_logs_in_and_lands_on_her_clinic(client, world_a):
    device = t.totp_device_for(world_a.practitioner.user)
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": PASSWORD},
        follow=True,
    )
    # Staff pass the two-factor page first (test_two_factor.py), then go on.
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:otp_verify"))
    response = client.post(
        response.redirect_chain[-1][0],
        {"code": usable_code(device), "next": "/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("clinics:overview")
    assert world_a.clinic.name in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, world_a):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(world_a, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("clinics:overview")).status_code == 302


def test_argon2_hashes_passwords(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    assert make_password("s3cret-passphrase").startswith("argon2$argon2id$")
