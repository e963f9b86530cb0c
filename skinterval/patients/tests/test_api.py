"""The patients API: staff of the clinic list, search, read and register patients."""

import pytest

from skinterval.testing import make_api_client, make_patient


def _api(user):
    return make_api_client(user)


def test_list_is_paginated_and_scoped_to_the_callers_clinic(world_a, world_b, alice):
    for i in range(3):
        make_patient(world_a.clinic, given_name=f"Extra{i}", family_name=f"Zed{i}")
    response = _api(alice).get("/api/patients/", {"limit": 2, "offset": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5  # world A's two patients and the three above
    assert len(body["items"]) == 2
    everyone = _api(alice).get("/api/patients/", {"limit": 100}).json()["items"]
    ids = {p["id"] for p in everyone}
    assert str(world_a.patient.pk) in ids
    assert str(world_b.patient.pk) not in ids


def test_limit_above_100_is_refused_in_the_error_format(alice):
    response = _api(alice).get("/api/patients/", {"limit": 101})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "limit"
    assert set(body) == {"detail", "errors"}


def test_search_takes_the_name_from_the_body_not_the_url(world_a, bob):
    response = _api(bob).post(
        "/api/patients/search",
        {"q": "secondary"},
        content_type="application/json",
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [p["id"] for p in items] == [str(world_a.other_patient.pk)]


def test_search_does_not_find_other_clinics_patients(world_a, world_b, alice):
    response = _api(alice).post(
        "/api/patients/search", {"q": "PatientB"}, content_type="application/json"
    )
    assert response.json() == {"items": [], "count": 0}


def test_detail_of_another_clinics_patient_is_404_without_data(world_a, charlie):
    response = _api(charlie).get(f"/api/patients/{world_a.patient.pk}")
    assert response.status_code == 404
    assert world_a.patient.given_name not in response.content.decode()


def test_front_desk_registers_a_patient(world_a, bob):
    payload = {
        "chart_number": "A-100",
        "given_name": " Nora ",
        "family_name": "New",
        "born_on": "1991-02-03",
        "email": "nora@example.org",
        "fitzpatrick": 4,
    }
    response = _api(bob).post(
        "/api/patients/", payload, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["given_name"] == "Nora"
    assert body["fitzpatrick"] == 4
    from skinterval.patients.models import Patient

    assert Patient.objects.get(pk=body["id"]).clinic == world_a.clinic


def test_a_taken_chart_number_is_409_and_bad_fields_are_422(world_a, bob):
    api = _api(bob)
    taken = {
        "chart_number": world_a.patient.chart_number,
        "given_name": "Dup",
        "family_name": "Licate",
        "born_on": "1990-01-01",
    }
    response = api.post("/api/patients/", taken, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "chart_number"

    bad = {**taken, "chart_number": "Z-1", "born_on": "2999-01-01", "email": "nope"}
    response = api.post("/api/patients/", bad, content_type="application/json")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"born_on", "email"}


def test_blank_names_are_refused(bob):
    response = _api(bob).post(
        "/api/patients/",
        {
            "chart_number": "Z-2",
            "given_name": "  ",
            "family_name": "X",
            "born_on": "1990-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["given_name"]


@pytest.mark.parametrize("body", ["{not json", "[]", '{"chart_number": 5}'])
def test_malformed_bodies_get_the_error_format(bob, body):
    response = _api(bob).post("/api/patients/", body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"detail", "errors"}


def test_patients_tokens_are_refused(pat):
    response = _api(pat).get("/api/patients/")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_session_cookies_do_not_authenticate_the_api(world_a, as_user):
    """Only bearer tokens count, so the API needs no CSRF protection."""
    response = as_user(world_a.practitioner.user).get("/api/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_control_characters_in_a_search_are_refused(alice):
    response = _api(alice).post(
        "/api/patients/search", {"q": "a\x00b"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"
