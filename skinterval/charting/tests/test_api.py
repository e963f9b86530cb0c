"""Session charting over the JSON API: the safety re-check, per-area depths capped
by the plan and the device, reading a chart, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.charting.models import ChartedArea, ChartStatus, SessionChart
from skinterval.charting.tests.conftest import NO, NOW, consent

BASE = "/api/charts/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


class Api:
    """The JSON API as one user calls it: their bearer token, no session cookie."""

    def __init__(self, user=None):
        self.client = t.make_api_client(user)

    def get(self, path, params=None):
        return self.client.get(path, params or {})

    def post(self, path, body=None):
        return self.client.post(path, body or {}, content_type="application/json")


def fields(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def completion(world, depth="1.0", device=None, **overrides):
    body = {
        "areas": [
            {
                "area": "cheeks",
                "depth_mm": depth,
                "passes": 3,
                "device_id": (device or world.device).pk,
                "cartridge_lot": "LOT-42",
            }
        ],
        "anaesthetic": "topical",
        "adjuncts": "",
        "endpoint": "pinpoint_bleeding",
        "reaction": "expected",
        "notes": "Tolerated well",
    }
    body.update(overrides)
    return body


@pytest.fixture
def alice(world_a):
    return Api(world_a.practitioner.user)


@pytest.fixture
def started(world_a, session_1, alice):
    consent(world_a)
    response = alice.post(BASE, {"appointment_id": session_1.pk, "answers": NO})
    assert response.status_code == 201, response.content
    return response.json()


def test_starting_records_the_re_check_and_opens_the_chart(world_a, session_1, started):
    assert started["status"] == "in_progress"
    assert started["appointment_id"] == session_1.pk
    assert started["session_number"] == 1
    assert started["re_check"] == NO
    assert started["held_for"] == []
    assert started["areas"] == []
    assert started["reaction"] is None
    session_1.refresh_from_db()
    assert session_1.status == AppointmentStatus.ARRIVED


def test_any_yes_at_the_re_check_holds_the_session(world_a, session_1, alice):
    consent(world_a)
    answers = NO | {"new_cold_sore": True}
    response = alice.post(BASE, {"appointment_id": session_1.pk, "answers": answers})
    assert response.status_code == 201
    assert response.json()["status"] == "held"
    assert response.json()["held_for"] == ["new_cold_sore"]
    chart_id = response.json()["id"]
    completing = alice.post(f"{BASE}{chart_id}/complete", completion(world_a))
    assert completing.status_code == 409
    assert SessionChart.objects.get().status == ChartStatus.HELD


def test_every_re_check_question_must_be_answered_true_or_false(
    world_a, session_1, alice
):
    consent(world_a)
    answers: dict[str, object] = {
        k: v for k, v in NO.items() if k != "new_isotretinoin"
    }
    answers["new_cold_sore"] = "no"
    response = alice.post(BASE, {"appointment_id": session_1.pk, "answers": answers})
    assert response.status_code == 422
    assert {"answers.new_isotretinoin", "answers.new_cold_sore"} <= set(
        fields(response)
    )
    assert not SessionChart.objects.exists()


def test_no_session_starts_without_consent(world_a, session_1, alice):
    response = alice.post(BASE, {"appointment_id": session_1.pk, "answers": NO})
    assert response.status_code == 409
    assert "consent" in response.json()["detail"]
    assert not SessionChart.objects.exists()


def test_starting_twice_is_409(world_a, session_1, started, alice):
    again = alice.post(BASE, {"appointment_id": session_1.pk, "answers": NO})
    assert again.status_code == 409
    assert SessionChart.objects.count() == 1


def test_completing_charts_every_area_and_completes_the_appointment(
    world_a, session_1, started, alice
):
    response = alice.post(f"{BASE}{started['id']}/complete", completion(world_a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["performed_on"] == "2027-01-05"
    assert body["reaction"] == "expected"
    assert body["areas"] == [
        {
            "area": "cheeks",
            "depth_mm": "1.00",
            "passes": 3,
            "device": {"id": world_a.device.pk, "name": world_a.device.name},
            "cartridge_lot": "LOT-42",
        }
    ]
    session_1.refresh_from_db()
    assert session_1.status == AppointmentStatus.COMPLETED

    read = alice.get(f"{BASE}{started['id']}")
    assert read.status_code == 200
    assert read.json() == body


def test_a_depth_above_the_plan_is_422_with_the_field_path(
    world_a, session_1, started, alice
):
    response = alice.post(f"{BASE}{started['id']}/complete", completion(world_a, "2.0"))
    assert response.status_code == 422
    assert fields(response) == {
        "areas[0].depth_mm": "2 mm is deeper than the plan allows for this area "
        "(1.5 mm): re-plan to go deeper."
    }
    assert not ChartedArea.objects.exists()
    assert SessionChart.objects.get().status == ChartStatus.IN_PROGRESS


def test_a_depth_above_the_device_maximum_is_422(world_a, session_1, started, alice):
    short = t.make_device(
        world_a.location, name="Short pen", max_depth_mm=Decimal("1.0")
    )
    response = alice.post(
        f"{BASE}{started['id']}/complete", completion(world_a, "1.2", device=short)
    )
    assert response.status_code == 422
    assert "Short pen" in fields(response)["areas[0].depth_mm"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"depth_mm": "deep"}, "areas[0].depth_mm"),
        ({"depth_mm": "0"}, "areas[0].depth_mm"),
        ({"passes": 0}, "areas[0].passes"),
        ({"cartridge_lot": ""}, "areas[0].cartridge_lot"),
    ],
)
def test_bad_area_input_names_its_field(
    world_a, session_1, started, alice, change, field
):
    body = completion(world_a)
    body["areas"][0].update(change)
    response = alice.post(f"{BASE}{started['id']}/complete", body)
    assert response.status_code == 422
    assert field in fields(response)


def test_every_treated_area_must_be_charted(world_a, session_1, started, alice):
    body = completion(world_a)
    body["areas"][0]["area"] = "forehead"
    response = alice.post(f"{BASE}{started['id']}/complete", body)
    assert response.status_code == 422
    assert "areas" in fields(response)


def test_charts_are_listed_per_patient(world_a, session_1, started):
    bob = Api(world_a.front_desk.user)
    listed = bob.get(BASE, {"patient_id": str(world_a.patient.pk)}).json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == started["id"]
    other = bob.get(BASE, {"patient_id": str(world_a.other_patient.pk)}).json()
    assert other["count"] == 0


def test_who_may_chart(world_a, world_b, session_1, pat):
    consent(world_a)
    body = {"appointment_id": session_1.pk, "answers": NO}
    assert Api().post(BASE, body).status_code == 401
    assert Api(pat).post(BASE, body).status_code == 403
    assert Api(world_a.front_desk.user).post(BASE, body).status_code == 403
    charlie = Api(world_b.practitioner.user).post(BASE, body)
    assert charlie.status_code == 404
    assert world_a.patient.given_name not in charlie.content.decode()
    assert not SessionChart.objects.exists()


def test_another_clinic_cannot_read_or_complete_a_chart(
    world_a, world_b, session_1, started, pat
):
    charlie = Api(world_b.practitioner.user)
    for response in (
        charlie.get(f"{BASE}{started['id']}"),
        charlie.post(f"{BASE}{started['id']}/complete", completion(world_b)),
        charlie.get(BASE, {"patient_id": str(world_a.patient.pk)}),
    ):
        assert response.status_code == 404
        assert "cheeks" not in response.content.decode()
    assert charlie.get(BASE).json()["count"] == 0
    assert Api(pat).get(f"{BASE}{started['id']}").status_code == 403
    assert Api().get(f"{BASE}{started['id']}").status_code == 401
    assert SessionChart.objects.get().status == ChartStatus.IN_PROGRESS


def test_another_clinics_device_is_not_used(
    world_a, world_b, session_1, started, alice
):
    response = alice.post(
        f"{BASE}{started['id']}/complete", completion(world_a, device=world_b.device)
    )
    assert response.status_code == 404
    assert not ChartedArea.objects.exists()
