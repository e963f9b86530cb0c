"""Logging in, failing to, and logging out are in the audit log (Django's auth
signals), with the login's id, never the name typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from skinterval.audit.models import AuditEvent
from skinterval.testing import PASSWORD

ADDRESS = "198.51.100.23"


def _login(client, username, password):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ADDRESS,
    )


def test_a_login_records_who_and_from_where(client, world_a):
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="login")
    alice = world_a.practitioner.user
    assert (event.actor_user_id, event.actor_role) == (alice.pk, "practitioner")
    assert (event.object_type, event.object_id) == ("accounts.user", str(alice.pk))
    assert event.clinic_id == world_a.clinic.pk
    assert event.source_ip == ADDRESS


def test_a_patients_login_is_in_their_clinics_log(client, world_a, pat):
    _login(client, "pat", PASSWORD)
    event = AuditEvent.objects.get(action="login")
    assert (event.actor_user_id, event.actor_role) == (pat.pk, "patient")
    assert event.clinic_id == world_a.clinic.pk


def test_a_failed_login_keeps_the_login_id_never_the_name_typed(client, world_a):
    response = _login(client, "alice", "not her password")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="login_failed")
    alice = world_a.practitioner.user
    assert (event.actor_user_id, event.actor_role) == (None, "anonymous")
    assert (event.object_type, event.object_id) == ("accounts.user", str(alice.pk))
    assert event.clinic_id == world_a.clinic.pk  # so that A's owner sees it
    assert event.source_ip == ADDRESS
    assert "alice" not in event.canonical_content()
    assert not AuditEvent.objects.filter(action="login").exists()


@pytest.mark.parametrize(
    "typed", ["nobody-here", "my-password-typed-in-the-wrong-box", "ALICE"]
)
def test_a_failed_login_for_no_such_login_keeps_only_the_fact(client, world_a, typed):
    _login(client, typed, "whatever it was")
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.actor_user_id, event.object_type, event.object_id) == (None, "", "")
    assert event.clinic_id is None
    assert event.source_ip == ADDRESS
    text = event.canonical_content()
    assert typed not in text
    assert typed.lower() not in text.lower()


def test_logout_is_recorded(client, world_a):
    _login(client, "bob", PASSWORD)
    response = client.post(reverse("accounts:logout"), REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="logout")
    bob = world_a.front_desk.user
    assert (event.actor_user_id, event.actor_role) == (bob.pk, "front_desk")
    assert event.source_ip == ADDRESS


def test_logging_out_when_not_logged_in_records_nothing(client, db):
    client.post(reverse("accounts:logout"), REMOTE_ADDR=ADDRESS)
    assert not AuditEvent.objects.filter(action="logout").exists()
