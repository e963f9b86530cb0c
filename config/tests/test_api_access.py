"""Every JSON API operation, called by every persona: who gets what.

The rows are keyed by ``"METHOD /api/path"`` exactly as in `/api/openapi.json`;
`test_every_operation_has_a_row` fails for an operation without a row (and for a
row whose operation is gone), so no operation ships without a scoping test. The
Django URL patterns of the `api` namespace are left out of
config/tests/test_access_matrix.py for that reason; the two documentation pages
(and ninja's empty root) are checked at the end of this file.

Path ids always point at clinic A's objects. Expectations:
- anonymous: 401 everywhere; Pat (a patient's token): 403 everywhere — the API is
  for staff (docs/decisions/0014-json-api.md);
- Charlie (clinic B): 404 for clinic A's objects, or 200 on his own clinic's lists —
  never any of clinic A's data in the body;
- Alice (practitioner A) and Bob (front desk A): as their role allows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from skinterval.testing import make_api_client, make_plan

ANON, PAT = 401, 403
# The `api` namespace's URLs that are not operations: the schema, its docs page,
# and ninja's root (a 404 that only anchors the other URLs).
DOC_PAGES = {"openapi-json": 200, "openapi-view": 200, "api-root": 404}
PERSONAS = ("anonymous", "alice", "bob", "charlie", "pat")


def _assessment(world: Any) -> dict[str, Any]:
    return {
        "assessed_on": "2027-01-04",
        "patient": {
            "birth_date": world.patient.born_on.isoformat(),
            "fitzpatrick": 3,
        },
        "scars": [{"area": "cheeks", "kind": "rolling", "grade": 3}],
    }


def _new_patient(world: Any) -> dict[str, Any]:
    return {
        "chart_number": "API-1",
        "given_name": "Nora",
        "family_name": "New",
        "born_on": "1990-01-01",
    }


# Path parameter name -> how to build it from clinic A's world.
PATH_IDS: dict[str, Callable[[Any], Any]] = {
    "patient_id": lambda a: a.patient.pk,
    "plan_id": lambda a: make_plan(a.patient, a.practitioner).pk,
    "practitioner_id": lambda a: a.practitioner.pk,
}


@dataclass(frozen=True)
class Row:
    expect: dict[str, int]  # alice, bob, charlie (anonymous 401 and pat 403 implied)
    body: Callable[[Any], Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # Query parameters built from clinic A's world (ids made by the test).
    query_for: Callable[[Any], dict[str, Any]] | None = None


def staff(alice: int = 200, bob: int = 200, charlie: int = 404) -> dict[str, int]:
    return {"alice": alice, "bob": bob, "charlie": charlie}


# --- scheduling, charting, scores and check-ins (appointments, charting and
# outcomes api.py). Times are built from today's clock: a Monday ahead, when
# the conftest's practitioners work (09:00-17:00), never a public holiday.


def _monday_ahead(world: Any, hour: int) -> str:
    from datetime import time, timedelta

    from django.utils import timezone

    from skinterval.appointments.availability import is_public_holiday
    from skinterval.domain import wallclock

    zone = world.clinic.zone
    day = wallclock.local_date(timezone.now(), zone) + timedelta(days=7)
    day += timedelta(days=-day.weekday())
    while is_public_holiday(world.clinic, day):
        day += timedelta(days=7)
    return wallclock.to_utc(day, time(hour), zone).isoformat()


def _service(world: Any) -> Any:
    """A micro-needling service of the world's clinic that needs no room or device."""
    from skinterval.appointments.models import ServiceType

    service, _ = ServiceType.objects.get_or_create(
        clinic=world.clinic,
        name="Micro-needling",
        defaults={
            "kind": "microneedling",
            "duration_min": 45,
            "needs_room": False,
        },
    )
    return service


def _booking(world: Any) -> dict[str, Any]:
    return {
        "patient_id": str(world.patient.pk),
        "service_id": _service(world).pk,
        "practitioner_id": world.practitioner.pk,
        "starts_at": _monday_ahead(world, 10),
    }


def _plan_session(world: Any) -> Any:
    _service(world)
    return make_plan(world.patient, world.practitioner, approve=True).sessions.get(
        number=1
    )


def _held(world: Any) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from skinterval.testing import make_appointment

    return make_appointment(
        world, status="held", hold_expires_at=timezone.now() + timedelta(hours=1)
    )


def _consented_session(world: Any) -> Any:
    """Session 1 of an approved plan, booked, with the treatment consent signed."""
    from django.utils import timezone

    from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
    from skinterval.charting.services import sign_consent
    from skinterval.testing import make_appointment

    plan = make_plan(world.patient, world.practitioner, approve=True)
    sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=timezone.now(),
    )
    return make_appointment(
        world, plan_session=plan.sessions.get(number=1), device=world.device
    )


def _start_chart(world: Any) -> dict[str, Any]:
    from skinterval.testing import NO_NEWS

    return {"appointment_id": _consented_session(world).pk, "answers": NO_NEWS}


def _started_chart(world: Any) -> Any:
    from django.utils import timezone

    from skinterval.charting.services import start_session
    from skinterval.testing import NO_NEWS

    return start_session(
        appointment=_consented_session(world),
        practitioner=world.practitioner,
        answers=NO_NEWS,
        now=timezone.now(),
    )


def _completion(world: Any) -> dict[str, Any]:
    return {
        "areas": [
            {
                "area": "cheeks",
                "depth_mm": "1.0",
                "passes": 3,
                "device_id": world.device.pk,
                "cartridge_lot": "LOT-1",
            }
        ],
        "anaesthetic": "topical",
        "endpoint": "pinpoint_bleeding",
        "reaction": "expected",
    }


def _api_check_in(world: Any) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from skinterval.domain.checkins import CheckInAnswers, Severity
    from skinterval.outcomes.services import submit_check_in
    from skinterval.testing import make_appointment

    plan = make_plan(world.patient, world.practitioner, approve=True)
    now = timezone.now()
    done = make_appointment(
        world,
        plan_session=plan.sessions.get(number=1),
        status="completed",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(minutes=30),
        blocked_from_at=now - timedelta(days=2),
        blocked_until_at=now - timedelta(days=2) + timedelta(minutes=30),
    )
    return submit_check_in(
        patient=world.patient,
        appointment=done,
        answers=CheckInAnswers(Severity.MILD, Severity.NONE, Severity.NONE, pain=8),
        now=now,
    )


def _score(world: Any) -> dict[str, Any]:
    from skinterval.domain.scales import get_scale

    ecca = get_scale("ecca")
    return {
        "patient_id": str(world.patient.pk),
        "area": "cheeks",
        "scale": "ecca",
        "items": {item.item_id: item.min_value for item in ecca.items},
    }


def _appointment_id(world: Any) -> int:
    from skinterval.testing import make_appointment

    return int(make_appointment(world).pk)


OPERATIONS: dict[str, Row] = {
    # clinics/api.py — Charlie sees his own clinic, never A's.
    "GET /api/clinic/": Row(staff(charlie=200)),
    "GET /api/clinic/locations": Row(staff(charlie=200)),
    "GET /api/practitioners/": Row(staff(charlie=200)),
    "GET /api/practitioners/{practitioner_id}": Row(staff()),
    # patients/api.py
    "GET /api/patients/": Row(staff(charlie=200)),
    "POST /api/patients/": Row(
        staff(alice=201, bob=201, charlie=201), body=_new_patient
    ),
    "POST /api/patients/search": Row(
        staff(charlie=200), body=lambda a: {"q": a.patient.family_name}
    ),
    "GET /api/patients/{patient_id}": Row(staff()),
    # plans/api.py — front desk reads plans; only practitioners write them.
    "GET /api/patients/{patient_id}/plans": Row(staff()),
    "POST /api/patients/{patient_id}/plans": Row(
        staff(alice=201, bob=403), body=_assessment
    ),
    "GET /api/plans/{plan_id}": Row(staff()),
    "POST /api/plans/{plan_id}/approve": Row(staff(bob=403)),
    # appointments/api.py — any staff books; Charlie finds none of A's ids.
    "GET /api/appointments/slots": Row(
        staff(),
        query_for=lambda a: {
            "service_id": _service(a).pk,
            "first_on": _monday_ahead(a, 9)[:10],
            "last_on": _monday_ahead(a, 9)[:10],
        },
    ),
    "GET /api/appointments/slots/plan-session/{plan_session_id}": Row(
        staff(), ids={"plan_session_id": lambda a: _plan_session(a).pk}
    ),
    "GET /api/appointments/": Row(staff(charlie=200)),
    "POST /api/appointments/": Row(staff(alice=201, bob=201), body=_booking),
    "POST /api/appointments/holds": Row(staff(alice=201, bob=201), body=_booking),
    "GET /api/appointments/{appointment_id}": Row(
        staff(), ids={"appointment_id": _appointment_id}
    ),
    "POST /api/appointments/{appointment_id}/confirm": Row(
        staff(), ids={"appointment_id": lambda a: _held(a).pk}
    ),
    "POST /api/appointments/{appointment_id}/move": Row(
        staff(),
        body=lambda a: {"starts_at": _monday_ahead(a, 11)},
        ids={"appointment_id": _appointment_id},
    ),
    "POST /api/appointments/{appointment_id}/cancel": Row(
        staff(), ids={"appointment_id": _appointment_id}
    ),
    # charting/api.py — practitioners chart; any staff reads.
    "GET /api/charts/": Row(staff(charlie=200)),
    "POST /api/charts/": Row(
        staff(alice=201, bob=403),
        body=_start_chart,
    ),
    "GET /api/charts/{chart_id}": Row(
        staff(), ids={"chart_id": lambda a: _started_chart(a).pk}
    ),
    "POST /api/charts/{chart_id}/complete": Row(
        staff(bob=403),
        body=_completion,
        ids={"chart_id": lambda a: _started_chart(a).pk},
    ),
    # outcomes/api.py — practitioners score and review; any staff reads.
    "GET /api/outcomes/scores": Row(
        staff(), query_for=lambda a: {"patient_id": str(a.patient.pk)}
    ),
    "POST /api/outcomes/scores": Row(staff(alice=201, bob=403), body=_score),
    "GET /api/outcomes/check-ins": Row(staff(charlie=200)),
    "GET /api/outcomes/check-ins/{check_in_id}": Row(
        staff(), ids={"check_in_id": lambda a: _api_check_in(a).pk}
    ),
    "POST /api/outcomes/check-ins/{check_in_id}/review": Row(
        staff(bob=403), ids={"check_in_id": lambda a: _api_check_in(a).pk}
    ),
}


def _operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
    }


def test_every_operation_has_a_row():
    operations = _operations()
    missing = operations - set(OPERATIONS)
    stale = set(OPERATIONS) - operations
    assert not missing, f"API operations without an access row: {sorted(missing)}"
    assert not stale, f"Rows for operations that no longer exist: {sorted(stale)}"


def test_the_api_namespace_holds_only_operations_and_their_docs():
    """Every URL of the `api` namespace is an OpenAPI operation (covered above)
    or one of the documentation pages (covered below)."""
    resolver = next(
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == "api"
    )
    names = {p.name for p in resolver.url_patterns if isinstance(p, URLPattern)}
    assert set(DOC_PAGES) <= names
    schema_paths = {
        path.removeprefix("/api/") for path in api.get_openapi_schema()["paths"]
    }
    routes = {
        str(p.pattern).replace("<", "{").replace(">", "}")
        for p in resolver.url_patterns
        if isinstance(p, URLPattern) and p.name not in DOC_PAGES
    }
    plain = {_strip_converters(r) for r in routes}
    assert plain == schema_paths


def _strip_converters(route: str) -> str:
    """``patients/{uuid:patient_id}`` -> ``patients/{patient_id}``."""
    out = []
    for part in route.split("/"):
        if part.startswith("{") and ":" in part:
            part = "{" + part.split(":", 1)[1]
        out.append(part)
    return "/".join(out)


CASES = [(key, persona) for key in sorted(OPERATIONS) for persona in PERSONAS]


def _expected(row: Row, persona: str) -> int:
    if persona == "anonymous":
        return ANON
    if persona == "pat":
        return PAT
    return row.expect[persona]


@pytest.mark.parametrize(("key", "persona"), CASES)
def test_api_access(key, persona, world_a, world_b, pat):
    row = OPERATIONS[key]
    method, path = key.split(" ", 1)
    builders = {**PATH_IDS, **row.ids}
    for name, build in builders.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(build(world_a)))
    assert "{" not in path, f"no builder for a path id of {key}"
    users = {
        "anonymous": None,
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "charlie": world_b.practitioner.user,
        "pat": pat,
    }
    client = make_api_client(users[persona])
    query = {**row.query, **(row.query_for(world_a) if row.query_for else {})}
    if method == "GET":
        response = client.get(path, query)
    else:
        body = row.body(world_a) if row.body else None
        response = client.generic(
            method,
            path + _query_string(query),
            data="" if body is None else _json(body),
            content_type="application/json",
        )
    expected = _expected(row, persona)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert set(response.json()) == {"detail", "errors"}
    if persona in ("charlie", "pat", "anonymous"):
        text = response.content.decode()
        for leaked in (
            world_a.patient.given_name,
            world_a.other_patient.given_name,
            world_a.patient.chart_number,
            world_a.clinic.name,
            world_a.practitioner.display_name,
        ):
            assert leaked not in text, f"{persona} saw {leaked!r} in {key}"


def _json(body: Any) -> str:
    import json

    return json.dumps(body, default=str)


def _query_string(query: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(query) if query else ""


@pytest.mark.parametrize(("name", "status"), sorted(DOC_PAGES.items()))
def test_the_api_description_is_public(name, status, client):
    """The schema and its docs page hold no data: anyone may read them."""
    from django.urls import reverse

    response = client.get(reverse(f"api:{name}"))
    assert response.status_code == status
