"""An assessment dated near the end (or start) of the calendar: the series would
run past 9999-12-31. The domain refuses it with one clear line, and every way in
shows that line: the CLI exits 2, the web form shows it next to the date, the
API answers 422 naming `assessed_on`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from skinterval import cli
from skinterval.domain.assessment import parse_assessment
from skinterval.domain.errors import InvalidInput
from skinterval.domain.planning import plan_series
from skinterval.plans.models import Plan
from skinterval.testing import SIMPLE_ASSESSMENT, make_api_client

FAR = ["9999-12-31", "9999-06-01", "3000-01-01", "0001-01-01", "1899-12-31"]


def _assessment(on: str) -> dict[str, Any]:
    birth = "0001-01-01" if on < "1900" else SIMPLE_ASSESSMENT["patient"]["birth_date"]
    return {
        **SIMPLE_ASSESSMENT,
        "assessed_on": on,
        "patient": {**SIMPLE_ASSESSMENT["patient"], "birth_date": birth},
    }


@pytest.mark.parametrize("on", FAR)
def test_the_domain_refuses_a_day_off_the_calendar(on):
    with pytest.raises(InvalidInput) as refused:
        parse_assessment(_assessment(on))
    [line] = refused.value.problems
    assert line.startswith(f"assessed_on: {on} is outside the dates")
    assert "1900-01-01 to 2999-12-31" in line


def test_plan_series_refuses_it_too_when_given_an_assessment_directly():
    ok = parse_assessment(_assessment("2999-12-31"))
    assert plan_series(ok).sessions  # the last day is still planned
    from dataclasses import replace

    with pytest.raises(InvalidInput, match="assessed_on: 9999-12-31"):
        plan_series(replace(ok, assessed_on=date(9999, 12, 31)))


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01"])
def test_the_cli_exits_2_with_the_line(on, tmp_path, capsys):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_assessment(on)), encoding="utf-8")
    assert cli.main(["plan", str(path)]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith(f"assessed_on: {on} is outside the dates")
    assert "Traceback" not in err


def test_the_web_form_shows_it_next_to_the_date(world_a, as_user):
    url = reverse("plans:new", args=[world_a.patient.pk])
    response = as_user(world_a.practitioner.user).post(
        url,
        {
            "assessed_on": "9999-12-31",
            "fitzpatrick": "2",
            "isotretinoin": "never",
            "diabetes": "none",
            "active_acne": "none",
            "scars-TOTAL_FORMS": "1",
            "scars-INITIAL_FORMS": "0",
            "scars-0-area": "cheeks",
            "scars-0-kind": "rolling",
            "scars-0-grade": "3",
            "procedures-TOTAL_FORMS": "0",
            "procedures-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors["assessed_on"]
    assert any("outside the dates" in str(e) for e in errors)
    assert 'value="9999-12-31"' in response.content.decode()
    assert not Plan.objects.exists()


def test_the_api_answers_422_on_assessed_on(world_a):
    api = make_api_client(world_a.practitioner.user)
    body = _assessment("9999-12-31")
    body["patient"]["birth_date"] = world_a.patient.born_on.isoformat()
    response = api.post(
        f"/api/patients/{world_a.patient.pk}/plans",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "assessed_on"
    assert "outside the dates" in error["message"]


@pytest.mark.parametrize("field", ["on", "year-1"])
def test_moving_an_appointment_to_a_far_day_is_a_form_error(field, world_a, as_user):
    from skinterval.testing import make_appointment

    appointment = make_appointment(world_a)
    day = "9999-12-31" if field == "on" else "0001-01-01"
    response = as_user(world_a.front_desk.user).post(
        reverse("appointments:detail", args=[appointment.pk]),
        {
            "move": "1",
            "on": day,
            "at": "10:00",
            "practitioner": world_a.practitioner.pk,
        },
    )
    assert response.status_code == 422
    assert "Enter a date from 1 January 1900 to 31 December 2999." in str(
        response.context["form"].errors["on"]
    )


def test_the_audit_search_takes_no_far_day(world_a, as_user):
    response = as_user(world_a.owner.user).get(
        reverse("audit:search"), {"from_on": "9999-12-31", "to_on": "9999-12-31"}
    )
    assert response.status_code == 422
    assert "Enter a date from" in response.content.decode()
