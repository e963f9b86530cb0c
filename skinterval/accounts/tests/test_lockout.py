"""Lockout after repeated failed logins (django-axes), by login and address, with
a friendly 429 page and one audit event per lockout."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from skinterval.audit.models import AuditEvent
from skinterval.testing import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
ADDRESS = "198.51.100.7"
ELSEWHERE = "203.0.113.40"
WRONG = "Tr0ub4dor&3-not-hers"
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _login(client, username, password, address=ADDRESS):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _fail_until_locked(client, username="alice", address=ADDRESS):
    """Wrong passwords up to the limit; returns the last answer."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, username, WRONG, address)
        assert response.status_code == 200  # the form again, with its message
    return _login(client, username, WRONG, address)


def test_the_limit_is_five_failures_and_the_cool_off_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_wrong_passwords_lock_the_login_even_for_the_right_password(client, world_a):
    response = _fail_until_locked(client)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many attempts" in text
    assert "15 minutes" in text
    assert response["Retry-After"] == "900"

    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="login").exists()


def test_the_lockout_page_never_shows_what_was_typed(client, world_a):
    _fail_until_locked(client)
    response = _login(client, "alice", PASSWORD)
    text = response.content.decode()
    assert "alice" not in text
    assert PASSWORD not in text
    assert WRONG not in text


def test_one_audit_event_per_lockout_with_the_login_and_never_the_password(
    client, world_a
):
    _fail_until_locked(client)
    _login(client, "alice", PASSWORD)  # refused while locked: a failed login only
    _login(client, "alice", WRONG)

    lockout = AuditEvent.objects.get(action="locked_out")
    alice = world_a.practitioner.user
    assert (lockout.actor_user_id, lockout.actor_role) == (None, "anonymous")
    assert (lockout.object_type, lockout.object_id) == ("accounts.user", str(alice.pk))
    assert lockout.clinic_id == world_a.clinic.pk  # so that A's owner sees it
    assert lockout.source_ip == ADDRESS
    content = lockout.canonical_content()
    for secret in (PASSWORD, WRONG, "alice"):
        assert secret not in content
    # Every attempt, the refused ones too, is a failed login as well.
    failures = AuditEvent.objects.filter(action="login_failed")
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 2


def test_a_lockout_for_no_such_login_keeps_only_the_fact(client, db):
    _fail_until_locked(client, username="nobody-here")
    lockout = AuditEvent.objects.get(action="locked_out")
    assert (lockout.object_type, lockout.object_id, lockout.clinic_id) == ("", "", None)
    assert "nobody-here" not in lockout.canonical_content()


def test_the_same_login_from_another_address_is_not_locked(client, world_a):
    _fail_until_locked(client)
    response = _login(client, "alice", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world_a.practitioner.user.pk)


def test_another_login_from_the_same_address_is_not_locked(client, world_a):
    _fail_until_locked(client)
    response = _login(client, "bob", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world_a.front_desk.user.pk)


def test_the_lock_lifts_after_the_cool_off(client, world_a, clock):
    _fail_until_locked(client)
    clock.shift(timedelta(minutes=14))
    assert _login(client, "alice", PASSWORD).status_code == 429
    # Each refused attempt restarts the cool-off.
    clock.shift(timedelta(minutes=15, seconds=1))
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_a_successful_login_starts_the_count_again(client, world_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "alice", WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"), REMOTE_ADDR=ADDRESS)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "alice", WRONG).status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert not AuditEvent.objects.filter(action="locked_out").exists()


def test_patients_are_locked_out_too(client, pat):
    assert _fail_until_locked(client, username="pat").status_code == 429
    assert _login(client, "pat", PASSWORD).status_code == 429


def _settings_with(tmp_path, **env):
    probe = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.AXES_FAILURE_LIMIT, "
        "int(settings.AXES_COOLOFF_TIME.total_seconds()), settings.OTP_TOTP_ISSUER)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "SKINTERVAL_"))
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="probe-only",
        SKINTERVAL_VAR_DIR=str(tmp_path / "var"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_limits_come_from_the_environment(tmp_path):
    result = _settings_with(
        tmp_path,
        SKINTERVAL_LOGIN_FAILURE_LIMIT="3",
        SKINTERVAL_LOGIN_LOCKOUT_MINUTES="60",
        SKINTERVAL_TOTP_ISSUER="Harbour Skin Clinic",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(maxsplit=2) == ["3", "3600", "Harbour Skin Clinic\n"]


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_limit_stops_start_up(tmp_path, value):
    result = _settings_with(tmp_path, SKINTERVAL_LOGIN_FAILURE_LIMIT=value)
    assert result.returncode != 0
    assert "SKINTERVAL_LOGIN_FAILURE_LIMIT" in result.stderr
