"""The plans API: an assessment (the contract's JSON) in, a plan version out;
approval under the same rules as the web pages."""

import jsonschema

from skinterval import testing as t
from skinterval.clinics.models import QualificationKind, StaffRole
from skinterval.domain.contracts import load_schema
from skinterval.plans.models import Plan, PlanStatus


def _assessment(patient, **changes):
    data = {
        "assessed_on": "2027-01-04",
        "patient": {"birth_date": patient.born_on.isoformat(), "fitzpatrick": 3},
        "scars": [{"area": "cheeks", "kind": "icepick", "grade": 3}],
    }
    data.update(changes)
    return data


def _create(user, patient, body):
    return t.make_api_client(user).post(
        f"/api/patients/{patient.pk}/plans", body, content_type="application/json"
    )


def test_an_assessment_becomes_a_draft_plan_in_the_plan_contract(world_a, alice):
    response = _create(alice, world_a.patient, _assessment(world_a.patient))
    assert response.status_code == 201
    body = response.json()
    plan = Plan.objects.get(patient=world_a.patient)
    assert (body["id"], body["version"], body["status"]) == (plan.pk, 1, "draft")
    assert body["patient_id"] == str(world_a.patient.pk)
    jsonschema.validate(body["plan"], load_schema("plan.schema.json"))
    assert body["plan"] == plan.plan
    assert "icepick_predominant" in {f["code"] for f in body["plan"]["findings"]}


def test_contract_violations_are_field_errors_with_contract_paths(world_a, alice):
    body = _assessment(
        world_a.patient,
        scars=[{"area": "cheek", "kind": "icepick", "grade": 3}],
        history={"isotretinoin": {"status": "stopped", "stopped_on": "2027-02-01"}},
    )
    response = _create(alice, world_a.patient, body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["scars[0].area"]
    assert "'cheek' is not one of" in errors[0]["message"]
    assert not Plan.objects.exists()

    # Once the schema holds, the date rules speak, with their paths too.
    body["scars"][0]["area"] = "cheeks"
    response = _create(alice, world_a.patient, body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "history.isotretinoin.stopped_on",
            "message": "2027-02-01 is after assessed_on 2027-01-04",
        }
    ]


def test_unknown_fields_and_non_objects_are_refused(world_a, alice):
    response = _create(alice, world_a.patient, {**_assessment(world_a.patient), "x": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "x"
    response = _create(alice, world_a.patient, [1, 2])
    assert response.status_code == 422
    response = t.make_api_client(alice).post(
        f"/api/patients/{world_a.patient.pk}/plans",
        "{nope",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_the_birth_date_must_be_the_patients(world_a, alice):
    body = _assessment(world_a.patient)
    body["patient"]["birth_date"] = "1950-01-01"
    response = _create(alice, world_a.patient, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient.birth_date"
    assert not Plan.objects.exists()


def test_front_desk_cannot_create_plans(world_a, bob):
    response = _create(bob, world_a.patient, _assessment(world_a.patient))
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_charlie_cannot_create_a_plan_for_clinic_a(world_a, world_b, charlie):
    response = _create(charlie, world_a.patient, _assessment(world_a.patient))
    assert response.status_code == 404
    assert world_a.patient.given_name not in response.content.decode()


def test_approval_supersedes_the_earlier_version(world_a, alice):
    first = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    second = t.make_plan(world_a.patient, world_a.practitioner)
    api = t.make_api_client(alice)
    response = api.post(f"/api/plans/{second.pk}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    first.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED
    again = api.post(f"/api/plans/{second.pk}/approve")
    assert again.status_code == 409
    assert again.json()["detail"]


def test_a_plan_needing_review_needs_a_physician(world_a):
    nurse = t.make_staff(
        world_a.clinic,
        StaffRole.PRACTITIONER,
        qualifications=(QualificationKind.NURSE, QualificationKind.MICRONEEDLING),
    )
    assessment = dict(t.SIMPLE_ASSESSMENT, history={"keloid_tendency": True})
    plan = t.make_plan(world_a.patient, nurse, assessment=assessment)
    response = t.make_api_client(nurse.user).post(f"/api/plans/{plan.pk}/approve")
    assert response.status_code == 403
    assert "physician" in response.json()["detail"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_front_desk_reads_plans_but_cannot_approve(world_a, bob):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    api = t.make_api_client(bob)
    assert api.get(f"/api/plans/{plan.pk}").json()["id"] == plan.pk
    listed = api.get(f"/api/patients/{world_a.patient.pk}/plans").json()
    assert [p["id"] for p in listed["items"]] == [plan.pk]
    assert api.post(f"/api/plans/{plan.pk}/approve").status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_an_assessment_at_the_end_of_the_calendar_is_refused_not_a_crash(
    world_a, alice
):
    response = _create(
        alice, world_a.patient, _assessment(world_a.patient, assessed_on="9999-12-30")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assessed_on"
    assert not Plan.objects.exists()


def test_nul_characters_are_refused_before_storage(world_a, alice):
    body = _assessment(world_a.patient, device={"name": "pen\x00", "max_depth_mm": 1.5})
    response = _create(alice, world_a.patient, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "device.name"
    assert not Plan.objects.exists()
