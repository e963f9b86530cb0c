"""Bad input to the JSON API beyond what schema fuzzing (test_api_fuzz.py)
generates: bodies that are not JSON or not UTF-8, bodies over the size limit,
NUL characters and lone surrogates in any text field, and markup stored through
the API then shown on the staff pages. Every refusal is a 4xx in the one error
format, `{"detail": "…", "errors": [{"field": …, "message": …}]}`."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from config.tests.bad_input import payloads as p
from skinterval.patients.models import Patient
from skinterval.testing import SIMPLE_ASSESSMENT, make_api_client, make_appointment

PATIENT = {
    "chart_number": "A-1042",
    "given_name": "Sam",
    "family_name": "Rivera",
    "born_on": "1994-03-12",
    "fitzpatrick": 4,
}


@pytest.fixture
def api(world_a):
    return make_api_client(world_a.practitioner.user)


def _post(api, url, body: str | bytes, **extra):
    return api.post(url, body, content_type="application/json", **extra)


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
    return body


def _operations(world) -> list[tuple[str, str]]:
    """Operations that require a JSON body, with a URL that reaches them."""
    return [
        ("patients", "/api/patients/"),
        ("search", "/api/patients/search"),
        ("plans", f"/api/patients/{world.patient.pk}/plans"),
        ("book", "/api/appointments/"),
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param("{", 400, id="cut short"),
        pytest.param("{'q': 1}", 400, id="single quotes"),
        pytest.param(b"\xff\xfe{}", 400, id="not UTF-8"),
        pytest.param("[]", 422, id="array"),
        pytest.param('"text"', 422, id="string"),
        pytest.param("null", 422, id="null"),
        pytest.param("NaN", 400, id="NaN"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_clear_4xx(body, status, world_a, api):
    for name, url in _operations(world_a):
        response = _post(api, url, body)
        assert response.status_code < 500, (name, response.status_code)
        answer = _error(response, response.status_code)
        assert 400 <= response.status_code < 500, (name, answer)
        if status == 400 and body not in ("NaN",):
            assert response.status_code == 400, (name, answer)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", 123),
        ("given_name", ["Sam"]),
        ("given_name", {"x": 1}),
        ("born_on", True),
        ("born_on", "abc"),
        ("born_on", "9999-99-99"),
        ("born_on", 19940312),
        ("fitzpatrick", "abc"),
        ("fitzpatrick", 10**30),
        ("fitzpatrick", -1),
        ("fitzpatrick", 3.5),
        ("chart_number", None),
        ("given_name", p.LONG),
    ],
)
def test_a_wrong_type_is_a_422_naming_the_field(field, value, api):
    response = _post(api, "/api/patients/", json.dumps({**PATIENT, field: value}))
    body = _error(response, 422)
    assert field in {e["field"] for e in body["errors"]}
    assert not Patient.objects.filter(chart_number="A-1042").exists()


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        pytest.param('"Sam\\u0000"', "NUL", id="NUL"),
        pytest.param('"Sam\\ud800"', "surrogate", id="lone high surrogate"),
        pytest.param('"\\udc00Sam"', "surrogate", id="lone low surrogate"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_in_every_text_field(
    raw, what, world_a, api
):
    """PostgreSQL cannot store NUL; a lone surrogate is not Unicode at all (it
    cannot even be encoded as UTF-8). Refused with the field's path, whichever
    operation: nothing reaches a service or the database."""
    appointment = make_appointment(world_a)
    before = Patient.objects.count()
    cases = [
        (
            "/api/patients/",
            f'{{"chart_number": "X1", "given_name": {raw}, '
            '"family_name": "R", "born_on": "1994-03-12"}',
            "given_name",
        ),
        ("/api/patients/search", f'{{"q": {raw}}}', "q"),
        (
            f"/api/appointments/{appointment.pk}/cancel",
            f'{{"reason": {raw}}}',
            "reason",
        ),
        (
            f"/api/patients/{world_a.patient.pk}/plans",
            json.dumps(
                {**SIMPLE_ASSESSMENT, "device": {"name": "PEN", "max_depth_mm": 2}}
            ).replace('"PEN"', raw),
            "device.name",
        ),
    ]
    for url, body, field in cases:
        answer = _error(_post(api, url, body), 422)
        assert field in {e["field"] for e in answer["errors"]}, (url, answer)
    assert Patient.objects.count() == before
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_body_over_the_limit_is_a_413_in_the_error_format(settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"q": "x" * 20_000})
    answer = _error(_post(api, "/api/patients/search", body), 413)
    assert "too large" in answer["detail"]


def test_the_default_body_limit_takes_a_long_text_and_refuses_a_huge_one(api):
    """1 MiB: 100,000 characters are a field error, not a refused request."""
    long = _post(api, "/api/patients/search", json.dumps({"q": p.LONG}))
    assert _error(long, 422)["errors"][0]["field"] == "q"
    huge = _post(api, "/api/patients/search", json.dumps({"q": "x" * 2_000_000}))
    _error(huge, 413)


@pytest.mark.parametrize("name", [p.SCRIPT, p.IMG, p.UNICODE])
def test_names_stored_through_the_api_are_escaped_on_every_staff_page(
    name, world_a, api, as_user
):
    created = _post(
        api,
        "/api/patients/",
        json.dumps({**PATIENT, "given_name": name, "family_name": name}),
    )
    assert created.status_code == 201
    assert created.json()["given_name"] == name  # stored as typed
    patient = Patient.objects.get(chart_number="A-1042")
    staff = as_user(world_a.front_desk.user)
    pages = [
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("charting:consents", args=[patient.pk]),
        reverse("charting:sign", args=[patient.pk, "photos"]),
        reverse("photos:patient", args=[patient.pk]),
        reverse("outcomes:patient_scores", args=[patient.pk]),
    ]
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for raw in p.RAW_MARKUP:
            assert raw not in body, url
        assert (
            name.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            in body
        ), url


@pytest.mark.parametrize("body", ["[]", "null", '"cancel"', "1"])
def test_an_optional_body_of_the_wrong_type_is_refused_not_taken_as_none(
    body, world_a, api
):
    """A cancel's body (the reason) is optional: `[]` or `null` must not pass for
    "no body" and cancel the appointment."""
    appointment = make_appointment(world_a)
    url = f"/api/appointments/{appointment.pk}/cancel"
    answer = _error(_post(api, url, body), 422)
    assert any("JSON object" in e["message"] for e in answer["errors"])
    appointment.refresh_from_db()
    assert appointment.status != "cancelled"
    no_body = api.post(url, "", content_type="application/json")
    assert no_body.status_code == 200, no_body.content[:300]  # still optional
