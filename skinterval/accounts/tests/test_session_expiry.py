"""A session ends after SESSION_IDLE_TIMEOUT_S without a request (SESSION_COOKIE_AGE
with SESSION_SAVE_EVERY_REQUEST); every request starts the idle time again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DASHBOARD = reverse("clinics:dashboard")
LOGIN = reverse("accounts:login")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _idle() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_the_idle_timeout_is_thirty_minutes_and_renewed_by_every_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_an_idle_session_expires(world_a, as_user, clock):
    client = as_user(world_a.practitioner.user)
    assert client.get(DASHBOARD).status_code == 200

    clock.shift(_idle() + timedelta(seconds=1))
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert world_a.patient.family_name not in response.content.decode()


def test_activity_keeps_the_session_alive(world_a, as_user, clock):
    client = as_user(world_a.practitioner.user)
    for _ in range(4):  # two full timeouts in all, never idle for long
        clock.shift(_idle() / 2)
        assert client.get(DASHBOARD).status_code == 200

    clock.shift(_idle() - timedelta(seconds=1))
    assert client.get(DASHBOARD).status_code == 200
    clock.shift(_idle() + timedelta(seconds=1))
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_a_patients_idle_session_expires_too(world_a, pat, as_user, clock):
    client = as_user(pat)
    assert client.get(reverse("portal:home")).status_code == 200
    clock.shift(_idle() + timedelta(seconds=1))
    assert client.get(reverse("portal:home"))["Location"].startswith(LOGIN)
