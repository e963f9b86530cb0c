"""Scores and check-ins over the JSON API: recording and listing scores, reading
and reviewing check-ins, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from skinterval import testing as t
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.domain.scales import get_scale
from skinterval.outcomes.models import CheckIn, Score
from skinterval.outcomes.services import submit_check_in
from skinterval.outcomes.tests.scoring import (
    LATER,
    SESSION_1_AT,
    SESSION_2_AT,
    highest,
    lowest,
    session,
    visit,
)

SCORES = "/api/outcomes/scores"
CHECK_INS = "/api/outcomes/check-ins"
ECCA = get_scale("ecca")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(LATER, tick=False):
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
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


@pytest.fixture
def plan(world_a):
    return t.make_plan(world_a.patient, world_a.practitioner, approve=True)


@pytest.fixture
def session_2(world_a, plan):
    session(world_a, plan, 1, SESSION_1_AT)
    return session(world_a, plan, 2, SESSION_2_AT)


def score_body(world, items=None, **overrides):
    body = {
        "patient_id": str(world.patient.pk),
        "area": "cheeks",
        "scale": "ecca",
        "items": items if items is not None else highest(ECCA),
    }
    body.update(overrides)
    return body


# --- scores -----------------------------------------------------------------------


def test_a_score_at_a_session_is_recorded_with_its_computed_total(world_a, session_2):
    alice = Api(world_a.practitioner.user)
    response = alice.post(SCORES, score_body(world_a, appointment_id=session_2.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    score = Score.objects.get()
    assert body["id"] == score.pk
    assert body["occasion"] == "session"
    assert body["appointment_id"] == session_2.pk
    assert body["scored_on"] == "2027-02-02"  # the visit's day, not today
    assert body["scale_version"] == ECCA.version
    assert body["total"] == str(score.total)
    assert score.total == ECCA.score(highest(ECCA)).total
    assert body["scored_by"] == {
        "id": world_a.practitioner.pk,
        "name": world_a.practitioner.display_name,
    }


def test_a_baseline_score_needs_no_visit(world_a, plan):
    response = Api(world_a.practitioner.user).post(SCORES, score_body(world_a))
    assert response.status_code == 201
    assert response.json()["occasion"] == "baseline"
    assert response.json()["scored_on"] == "2027-03-10"


def test_a_second_score_of_the_same_visit_is_409(world_a, session_2):
    alice = Api(world_a.practitioner.user)
    body = score_body(world_a, appointment_id=session_2.pk)
    assert alice.post(SCORES, body).status_code == 201
    again = alice.post(SCORES, body)
    assert again.status_code == 409
    assert Score.objects.count() == 1


def test_bad_items_are_422_with_every_problem(world_a, plan):
    items = lowest(ECCA) | {"v_atrophic_lt_2mm": 9, "made_up": 1}
    response = Api(world_a.practitioner.user).post(SCORES, score_body(world_a, items))
    assert response.status_code == 422
    problems = fields(response)
    assert {f for f, _ in problems} == {"items"}
    assert any("outside the allowed range" in m for _, m in problems)
    assert any("unknown item 'made_up'" in m for _, m in problems)
    assert not Score.objects.exists()


def test_an_item_score_must_be_a_whole_number(world_a, plan):
    items = lowest(ECCA) | {"v_atrophic_lt_2mm": "2"}
    response = Api(world_a.practitioner.user).post(SCORES, score_body(world_a, items))
    assert response.status_code == 422
    assert ("items.v_atrophic_lt_2mm", "Input should be a valid integer") in fields(
        response
    )


@pytest.mark.parametrize(
    ("change", "field"), [({"scale": "nope"}, "scale"), ({"area": "elbow"}, "area")]
)
def test_an_unknown_scale_or_area_names_its_field(world_a, plan, change, field):
    response = Api(world_a.practitioner.user).post(
        SCORES, score_body(world_a, **change)
    )
    assert response.status_code == 422
    assert field in {f for f, _ in fields(response)}


def test_a_visit_that_has_not_taken_place_is_409(world_a, plan):
    booked = visit(world_a, datetime(2027, 3, 20, 10, tzinfo=UTC), status="booked")
    response = Api(world_a.practitioner.user).post(
        SCORES, score_body(world_a, appointment_id=booked.pk)
    )
    assert response.status_code == 409


def test_another_patients_visit_is_refused(world_a, session_2):
    response = Api(world_a.practitioner.user).post(
        SCORES,
        score_body(
            world_a,
            patient_id=str(world_a.other_patient.pk),
            appointment_id=session_2.pk,
        ),
    )
    assert response.status_code == 422
    assert fields(response)[0][0] == "appointment_id"


def test_scores_are_listed_per_patient_oldest_first(world_a, session_2):
    alice = Api(world_a.practitioner.user)
    alice.post(SCORES, score_body(world_a, appointment_id=session_2.pk))
    alice.post(SCORES, score_body(world_a, lowest(ECCA)))
    listed = Api(world_a.front_desk.user).get(
        SCORES, {"patient_id": str(world_a.patient.pk)}
    )
    assert listed.status_code == 200
    assert [s["scored_on"] for s in listed.json()["items"]] == [
        "2027-02-02",
        "2027-03-10",
    ]
    assert listed.json()["count"] == 2
    page = Api(world_a.front_desk.user).get(
        SCORES, {"patient_id": str(world_a.patient.pk), "limit": 1, "offset": 1}
    )
    assert [s["scored_on"] for s in page.json()["items"]] == ["2027-03-10"]


def test_who_may_record_and_read_scores(world_a, world_b, session_2, pat):
    body = score_body(world_a, appointment_id=session_2.pk)
    assert Api().post(SCORES, body).status_code == 401
    assert Api(pat).post(SCORES, body).status_code == 403
    assert Api(world_a.front_desk.user).post(SCORES, body).status_code == 403
    charlie = Api(world_b.practitioner.user)
    refused = charlie.post(SCORES, body)
    assert refused.status_code == 404
    assert not Score.objects.exists()

    Api(world_a.practitioner.user).post(SCORES, body)
    query = {"patient_id": str(world_a.patient.pk)}
    assert charlie.get(SCORES, query).status_code == 404
    assert world_a.patient.given_name not in charlie.get(SCORES, query).content.decode()
    assert Api(pat).get(SCORES, query).status_code == 403
    assert Api().get(SCORES, query).status_code == 401


# --- check-ins ---------------------------------------------------------------------


@pytest.fixture
def check_ins(world_a, session_2):
    """A worrying check-in after session 2 and a calm one after session 1."""
    first = session_2.patient.appointments.get(plan_session__number=1)
    calm = submit_check_in(
        patient=world_a.patient,
        appointment=first,
        answers=CheckInAnswers(Severity.MILD, Severity.NONE, Severity.NONE, pain=1),
        now=datetime(2027, 1, 7, 9, tzinfo=UTC),
    )
    worrying = submit_check_in(
        patient=world_a.patient,
        appointment=session_2,
        answers=CheckInAnswers(Severity.MILD, Severity.MILD, Severity.NONE, pain=8),
        now=datetime(2027, 2, 4, 9, tzinfo=UTC),
    )
    return calm, worrying


def test_check_ins_are_listed_newest_first_and_filtered(world_a, check_ins):
    calm, worrying = check_ins
    bob = Api(world_a.front_desk.user)
    listed = bob.get(CHECK_INS, {"patient_id": str(world_a.patient.pk)}).json()
    assert [c["id"] for c in listed["items"]] == [worrying.pk, calm.pk]
    to_review = bob.get(CHECK_INS, {"to_review": "true"}).json()
    assert [c["id"] for c in to_review["items"]] == [worrying.pk]
    other = bob.get(CHECK_INS, {"patient_id": str(world_a.other_patient.pk)}).json()
    assert other["count"] == 0


def test_a_check_in_reads_with_its_reasons(world_a, check_ins):
    _, worrying = check_ins
    body = Api(world_a.front_desk.user).get(f"{CHECK_INS}/{worrying.pk}").json()
    assert body["day_after"] == 2
    assert body["session_number"] == 2
    assert body["pain"] == 8
    assert body["needs_attention"] is True
    assert body["attention_reasons"] == ["pain_high"]
    assert body["attention_labels"] == ["Pain 7 or more out of 10"]
    assert body["reviewed_at"] is None


def test_reviewing_a_check_in_takes_it_off_the_list(world_a, check_ins):
    _, worrying = check_ins
    alice = Api(world_a.practitioner.user)
    response = alice.post(f"{CHECK_INS}/{worrying.pk}/review")
    assert response.status_code == 200
    assert response.json()["reviewed_at"] == "2027-03-10T12:00:00Z"
    assert response.json()["reviewed_by"]["id"] == world_a.practitioner.pk
    assert alice.get(CHECK_INS, {"to_review": "true"}).json()["count"] == 0


def test_who_may_read_and_review_check_ins(world_a, world_b, check_ins, pat):
    _, worrying = check_ins
    url = f"{CHECK_INS}/{worrying.pk}"
    assert Api(world_a.front_desk.user).post(f"{url}/review").status_code == 403
    charlie = Api(world_b.practitioner.user)
    for response in (charlie.get(url), charlie.post(f"{url}/review")):
        assert response.status_code == 404
        assert "pain" not in response.content.decode()
    assert charlie.get(CHECK_INS).json()["count"] == 0
    assert Api(pat).get(url).status_code == 403
    assert Api(pat).get(CHECK_INS).status_code == 403
    assert Api().get(url).status_code == 401
    assert Api().post(f"{url}/review").status_code == 401
    assert CheckIn.objects.get(pk=worrying.pk).reviewed_at is None
