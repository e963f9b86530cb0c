"""`/fhir/metadata` and `/fhir/Patient/<id>/$everything`: who gets what, and
what a full course looks like in the bundle."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from skinterval import testing as t
from skinterval.accounts.api_tokens import issue_token, revoke_token
from skinterval.accounts.models import ApiToken
from skinterval.appointments.models import AppointmentStatus
from skinterval.audit.models import AuditEvent
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.models import ConsentStatus
from skinterval.charting.services import sign_consent, withdraw_consent
from skinterval.interop import fhir
from skinterval.outcomes.services import record_score
from skinterval.photos.queries import photo_bytes
from skinterval.photos.tests.factories import make_photo

from .fhir_checks import assert_no_embedded_bytes, by_id, check_bundle

CHECKED_IN_AT = datetime(2027, 1, 5, 10, 5, tzinfo=UTC)
COMPLETED_AT = datetime(2027, 1, 5, 10, 40, tzinfo=UTC)


def everything(patient_id) -> str:
    return reverse("fhir:patient_everything", kwargs={"patient_id": patient_id})


def bearer(user) -> Client:
    return t.make_api_client(user)


@pytest.fixture
def course(world_a, settings, tmp_path):
    """Clinic A's patient part-way through a course: approved plan, both
    consents, session 1 charted (cheeks 1.0 mm), session 2 booked, a baseline
    score and a photo."""
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"
    world = world_a
    plan = t.make_plan(world.patient, world.practitioner, approve=True)
    sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=CURRENT["microneedling"].version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=datetime(2027, 1, 5, 8, 30, tzinfo=UTC),
    )
    chart = t.make_charted_session(
        world,
        plan,
        1,
        datetime(2027, 1, 5, 10, tzinfo=UTC),
        checked_in_at=CHECKED_IN_AT,
        completed_at=COMPLETED_AT,
    )
    second = datetime(2027, 2, 2, 10, tzinfo=UTC)
    booked = t.make_appointment(
        world,
        plan_session=plan.sessions.get(number=2),
        starts_at=second,
        ends_at=second.replace(hour=11),
        blocked_from_at=second,
        blocked_until_at=second.replace(hour=11),
    )
    score = record_score(
        patient=world.patient,
        area="cheeks",
        scale="gb_qualitative",
        items={"grade": 3},
        occasion="baseline",
        scored_by=world.practitioner,
        now=datetime(2027, 1, 4, 9, tzinfo=UTC),
    )
    photo = make_photo(world)
    return {
        "plan": plan,
        "chart": chart,
        "booked": booked,
        "score": score,
        "photo": photo,
    }


def test_staff_get_a_bundle_that_validates_and_resolves(world_a, course):
    response = bearer(world_a.practitioner.user).get(everything(world_a.patient.pk))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Cache-Control"] == "private, no-store"
    bundle = json.loads(response.content)
    resources = check_bundle(bundle)
    kinds = {kind for kind, _ in resources}
    assert kinds == set(fhir.RESOURCE_TYPES)
    assert bundle["type"] == "searchset"
    assert bundle["entry"][0]["resource"]["id"] == str(world_a.patient.pk)


def test_the_course_as_fhir(world_a, course):
    bundle = json.loads(
        bearer(world_a.front_desk.user).get(everything(world_a.patient.pk)).content
    )
    resources = by_id(bundle)
    plan, chart, booked = course["plan"], course["chart"], course["booked"]

    care_plan = resources[("CarePlan", str(plan.pk))]
    sessions = list(plan.sessions.order_by("number"))
    assert len(care_plan["activity"]) == len(sessions)
    statuses = [a["detail"]["status"] for a in care_plan["activity"]]
    assert statuses[:2] == ["completed", "scheduled"]
    assert set(statuses[2:]) <= {"not-started"}
    assert care_plan["activity"][1]["detail"]["scheduledPeriod"] == {
        "start": sessions[1].earliest_on.isoformat(),
        "end": sessions[1].latest_on.isoformat(),
    }

    appointment = resources[("Appointment", str(booked.pk))]
    assert appointment["status"] == "booked"
    assert appointment["requestedPeriod"] == [
        {
            "start": sessions[1].earliest_on.isoformat(),
            "end": sessions[1].latest_on.isoformat(),
        }
    ]
    fulfilled = resources[("Appointment", str(chart.appointment_id))]
    assert fulfilled["status"] == "fulfilled"

    procedure = resources[("Procedure", str(chart.pk))]
    assert [s["coding"][0]["code"] for s in procedure["bodySite"]] == ["cheeks"]
    assert procedure["performedDateTime"] == "2027-01-05"
    area = chart.areas.get()
    depth = resources[("Observation", f"depth-{area.pk}")]
    assert depth["valueQuantity"]["value"] == 1.0
    assert depth["valueQuantity"]["unit"] == "mm"

    score = resources[("Observation", f"score-{course['score'].pk}")]
    assert score["valueQuantity"]["value"] == 3
    assert score["component"][0]["valueInteger"] == 3
    assert score["performer"] == [
        {"reference": f"Practitioner/{world_a.practitioner.pk}"}
    ]

    conditions = [r for (kind, _), r in resources.items() if kind == "Condition"]
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["rolling"]
    assert conditions[0]["bodySite"][0]["text"] == "Cheeks"

    consents = sorted(
        (r for (kind, _), r in resources.items() if kind == "Consent"),
        key=lambda r: r["scope"]["coding"][0]["code"],
    )
    assert [c["scope"]["coding"][0]["code"] for c in consents] == [
        "patient-privacy",
        "treatment",
    ]
    assert {c["status"] for c in consents} == {"active"}


def test_photos_are_linked_never_embedded(world_a, course):
    response = bearer(world_a.practitioner.user).get(everything(world_a.patient.pk))
    body = response.content.decode()
    photo = course["photo"]
    media = by_id(json.loads(body))[("Media", str(photo.pk))]

    assert media["content"]["url"].endswith(
        reverse("photos:image", kwargs={"photo_id": photo.pk})
    )
    assert_no_embedded_bytes(json.loads(body))
    encoded = base64.b64encode(photo_bytes(photo)).decode()
    assert encoded[:100] not in body
    # The URL is the permission-checked view: no session, no photo.
    assert Client().get(media["content"]["url"]).status_code == 302


def test_photos_hidden_by_a_withdrawn_consent_are_left_out(world_a, course):
    consent = course["photo"].consent
    withdraw_consent(
        consent=consent,
        withdrawn_by=world_a.front_desk,
        reason="Changed their mind",
        now=datetime(2027, 1, 6, tzinfo=UTC),
    )
    bundle = json.loads(
        bearer(world_a.practitioner.user).get(everything(world_a.patient.pk)).content
    )
    resources = check_bundle(bundle)
    assert not [key for key in resources if key[0] == "Media"]
    withdrawn = resources[("Consent", str(consent.pk))]
    assert withdrawn["status"] == "inactive"
    assert consent.__class__.objects.get(pk=consent.pk).status == (
        ConsentStatus.WITHDRAWN
    )


def test_each_export_is_audited(world_a, course):
    before = AuditEvent.objects.filter(action="export").count()
    bearer(world_a.practitioner.user).get(everything(world_a.patient.pk))
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    assert event.object_type == "patients.patient"
    assert event.object_id == str(world_a.patient.pk)
    assert event.actor_user_id == world_a.practitioner.user_id


# --- who may -------------------------------------------------------------


def _assert_no_data(response, world_a, world_b):
    body = response.content.decode()
    assert json.loads(body)["resourceType"] == "OperationOutcome"
    for world in (world_a, world_b):
        for patient in (world.patient, world.other_patient):
            assert patient.given_name not in body
            assert patient.chart_number not in body
            assert str(patient.pk) not in body
    assert world_a.clinic.name not in body


def test_anonymous_gets_401_with_a_bearer_challenge(world_a, world_b):
    response = Client().get(everything(world_a.patient.pk))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    _assert_no_data(response, world_a, world_b)


def test_a_logged_in_session_is_not_enough(world_a, world_b, as_user):
    response = as_user(world_a.practitioner.user).get(everything(world_a.patient.pk))
    assert response.status_code == 401
    _assert_no_data(response, world_a, world_b)


@pytest.mark.parametrize(
    "header", ["Bearer skt_nothing_here", "Basic YWxpY2U6ZGVtbw==", "Bearer "]
)
def test_wrong_credentials_get_401(world_a, world_b, header):
    client = Client(headers={"Authorization": header})
    response = client.get(everything(world_a.patient.pk))
    assert response.status_code == 401
    _assert_no_data(response, world_a, world_b)


def test_a_revoked_token_gets_401(world_a, world_b):
    token = issue_token(user=world_a.practitioner.user, name="old")
    revoke_token(token=ApiToken.objects.get(user=world_a.practitioner.user))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    response = client.get(everything(world_a.patient.pk))
    assert response.status_code == 401


def test_charlie_of_another_clinic_gets_404(world_a, world_b, course):
    response = bearer(world_b.practitioner.user).get(everything(world_a.patient.pk))
    assert response.status_code == 404
    _assert_no_data(response, world_a, world_b)
    # ...and his own clinic's patient is his to export.
    own = bearer(world_b.practitioner.user).get(everything(world_b.patient.pk))
    assert own.status_code == 200


def test_pat_gets_403_even_for_her_own_record(world_a, world_b, pat):
    for patient in (world_a.patient, world_a.other_patient):
        response = bearer(pat).get(everything(patient.pk))
        assert response.status_code == 403
        _assert_no_data(response, world_a, world_b)


def test_a_login_without_a_role_gets_403(world_a, world_b):
    response = bearer(t.make_user("nobody")).get(everything(world_a.patient.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("patient_id", ["not-a-uuid", "00000000-0000-0000-0000-0"])
def test_malformed_ids_are_404_outcomes(world_a, world_b, patient_id):
    response = bearer(world_a.practitioner.user).get(everything(patient_id))
    assert response.status_code == 404
    assert json.loads(response.content)["issue"][0]["code"] == "not-found"


def test_only_get_is_allowed(world_a):
    client = bearer(world_a.practitioner.user)
    response = client.post(everything(world_a.patient.pk))
    assert response.status_code == 405
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    assert client.delete(reverse("fhir:metadata")).status_code == 405


def test_metadata_is_open_and_is_a_capability_statement(db):
    response = Client().get(reverse("fhir:metadata"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = json.loads(response.content)
    assert fhir.parse_resource(statement) == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["implementation"]["url"].endswith("/fhir")


@pytest.mark.parametrize("status", list(AppointmentStatus))
def test_every_appointment_status_has_a_fhir_status(status):
    assert status.value in fhir.APPOINTMENT_STATUS


@pytest.mark.parametrize("status", list(ConsentStatus))
def test_every_consent_status_has_a_fhir_status(status):
    assert status.value in fhir.CONSENT_STATUS
