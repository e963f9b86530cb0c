"""Oversized requests: the limits are set, and a form body past them is a 400
page saying what happened (the API's 413: test_api.py), never a server error."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from skinterval.photos import imaging


def test_the_request_limits_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 10
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= imaging.MAX_BYTES


def test_a_form_body_over_the_limit_is_a_400_that_says_so(world_a, as_user):
    staff = as_user(world_a.front_desk.user)
    response = staff.post(
        reverse("patients:list"),
        "q=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This request could not be accepted" in body
    assert escape("It was too large, had too many fields") in body


def test_too_many_fields_is_a_400_that_says_so(world_a, as_user):
    staff = as_user(world_a.front_desk.user)
    fields = "&".join(
        f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
    )
    response = staff.post(
        reverse("patients:list"),
        fields,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "This request could not be accepted" in response.content.decode()


def test_a_public_form_over_the_limit_is_refused_the_same_way(client):
    response = client.post(
        reverse("accounts:login"),
        "username=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "This request could not be accepted" in response.content.decode()


def test_100k_characters_are_a_field_error_not_a_refused_request(world_a, as_user):
    """The limit sits well above anything a person types: a 100,000-character
    reason comes back in its form with a message."""
    from skinterval.testing import make_plan

    plan = make_plan(world_a.patient, world_a.practitioner)
    response = as_user(world_a.practitioner.user).post(
        reverse("plans:override", args=[plan.pk]), {"reason": "x" * 100_000}
    )
    assert response.status_code == 422
    assert "x" * 100_000 in response.content.decode()
