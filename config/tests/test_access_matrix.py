"""Every page, requested by every persona: who gets in, who is refused.

The table names each URL pattern of the product (the admin is covered in
clinics/tests/test_admin_scoping.py). A new URL without a row fails
`test_every_url_pattern_is_in_the_matrix`, so no page ships without a scoping test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from skinterval.testing import make_appointment, make_plan

ALLOWED = 200
NOT_FOUND = 404
FORBIDDEN = 403
LOGIN = "login"  # anonymous: redirected to the login page


def _session_appointment(world: Any) -> Any:
    """A booked session 1 of an approved plan, with the treatment consent signed."""
    from django.utils import timezone

    from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
    from skinterval.charting.services import sign_consent

    plan = make_plan(world.patient, world.practitioner, approve=True)
    sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=timezone.now(),
    )
    return make_appointment(world, plan_session=plan.sessions.get(number=1))


def _optimizer_run(world: Any) -> Any:
    """A finished optimizer run of the world's clinic (no proposal)."""
    from django.utils import timezone

    from skinterval.appointments.models import OptimizerRun

    now = timezone.now()
    return OptimizerRun.objects.create(
        clinic=world.clinic,
        location=world.location,
        first_on=now.date(),
        last_on=now.date(),
        time_limit_s=10,
        requested_by=world.practitioner,
        requested_at=now,
        status="proposed",
    )


# url name -> (how to build its kwargs from the worlds, {persona: expected})
MATRIX: dict[str, tuple[Callable[[Any, Any], dict[str, Any]], dict[str, Any]]] = {
    "home": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": 302, "bob": 302, "charlie": 302, "pat": 302},
    ),
    "clinics:overview": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "clinics:dashboard": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "patients:list": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "patients:detail": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "patients:detail/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED, "pat": FORBIDDEN},
    ),
    "plans:new": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "plans:detail": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "plans:approve": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405},
    ),
    # GET leads to the form on the plan page; POST: plans/tests/test_overrides.py.
    "plans:override": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": 302,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "appointments:book_series": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "appointments:detail": (
        lambda a, b: {"appointment_id": make_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:page": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    # Each clinic's staff get their own clinic's events (contents and scoping in
    # skinterval/appointments/tests/test_calendar.py).
    "calendar:events": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    # POST only (dragging: skinterval/appointments/tests/test_calendar_move.py).
    "calendar:move": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": 405,
            "bob": 405,
            "charlie": 405,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimize": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimizer_run": (
        lambda a, b: {"run_id": _optimizer_run(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimizer_apply": (
        lambda a, b: {"run_id": _optimizer_run(a).pk},
        {"anonymous": LOGIN, "alice": 405, "charlie": 405, "pat": FORBIDDEN},
    ),
    "charting:consents": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:consents/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "charting:sign": (
        lambda a, b: {"patient_id": a.patient.pk, "kind": "photos"},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:withdraw": (
        lambda a, b: {"consent_id": 1},
        {"anonymous": 405, "alice": 405, "charlie": 405},
    ),
    "charting:chart": (
        lambda a, b: {"appointment_id": _session_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:chart/other-clinic": (
        lambda a, b: {"appointment_id": _session_appointment(b).pk},
        {"alice": NOT_FOUND, "charlie": ALLOWED},
    ),
    "portal:home": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "accounts:login": (
        lambda a, b: {},
        {"anonymous": ALLOWED, "alice": 302, "pat": 302},
    ),
    "accounts:logout": (lambda a, b: {}, {"anonymous": 405, "alice": 405}),
}


def _pattern_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _pattern_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_url_pattern_is_in_the_matrix():
    covered = {key.split("/")[0] for key in MATRIX}
    missing = _pattern_names(get_resolver()) - covered
    assert not missing, f"URL patterns without an access test: {sorted(missing)}"


CASES = [
    (key, persona, expected)
    for key, (_, expectations) in MATRIX.items()
    for persona, expected in expectations.items()
]


@pytest.mark.parametrize(("key", "persona", "expected"), CASES)
def test_access(key, persona, expected, world_a, world_b, pat, as_user, client):
    build_kwargs, _ = MATRIX[key]
    url = reverse(key.split("/")[0], kwargs=build_kwargs(world_a, world_b))
    users = {
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "charlie": world_b.practitioner.user,
        "pat": pat,
    }
    browser = client if persona == "anonymous" else as_user(users[persona])
    response = browser.get(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        return
    assert response.status_code == expected
    if expected in (NOT_FOUND, FORBIDDEN):
        body = response.content.decode()
        for world in (world_a, world_b):
            assert world.patient.given_name not in body
            assert world.other_patient.given_name not in body
        if persona == "charlie":
            assert world_a.clinic.name not in body
