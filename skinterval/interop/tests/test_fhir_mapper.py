"""The FHIR mapper and adapter on hand-made records: no database, no Django."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from skinterval.interop import fhir, fhir_mapping
from skinterval.interop.fhir_records import (
    AppointmentData,
    AssessmentData,
    CarePlanData,
    Coded,
    ConsentData,
    PatientData,
    PatientRecord,
    PhotoData,
    PlannedSessionData,
    PractitionerData,
    ProcedureData,
    RoomData,
    ScarData,
    ScoreData,
    ScoreItemData,
    SessionWindow,
    SiteData,
    TreatedAreaData,
)

NAMING = fhir.Naming(fhir_base="https://clinic.example/fhir")
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
PID = "6f1c3a52-8d7e-4d5b-9a1c-2b3c4d5e6f70"
PHOTO_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CHEEKS = Coded("cheeks", "Cheeks")
ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _record(**changes):
    values: dict[str, Any] = {
        "patient": PatientData(
            id=PID,
            clinic_slug="harbour",
            clinic_name="Harbour Skin Clinic",
            chart_number="HSC-1",
            given_name="Ada",
            family_name="Lovelace",
            born_on=date(1990, 5, 1),
            email="ada@example.test",
            fitzpatrick=Coded("4", "IV — burns minimally, always tans"),
            fitzpatrick_on=date(2027, 1, 4),
        ),
        "practitioners": (PractitionerData(id=7, name="Dr Alice"),),
        "sites": (SiteData(id=1, name="Main site", address="1 Quay\nHarbour"),),
        "rooms": (RoomData(id=2, name="Room 1", site_id=1),),
        "assessment": AssessmentData(
            plan_id=11,
            assessed_on=date(2027, 1, 4),
            recorded_by_id=7,
            scars=(ScarData(0, CHEEKS, Coded("rolling", "Rolling (acne)"), grade=3),),
        ),
        "care_plan": CarePlanData(
            id=11,
            version=1,
            created_at=NOW,
            approved_at=NOW,
            approved_by_id=7,
            interval_min_days=28,
            interval_target_days=35,
            interval_max_days=42,
            sessions=(
                PlannedSessionData(
                    1,
                    date(2027, 1, 4),
                    date(2027, 1, 4),
                    date(2027, 1, 18),
                    appointment_status="completed",
                    procedure_id=21,
                ),
                PlannedSessionData(
                    2,
                    date(2027, 2, 1),
                    date(2027, 2, 8),
                    date(2027, 2, 15),
                    appointment_status="booked",
                ),
                PlannedSessionData(
                    3, date(2027, 3, 1), date(2027, 3, 8), date(2027, 3, 15), held=True
                ),
            ),
        ),
        "appointments": (
            AppointmentData(
                id=31,
                status="booked",
                service=Coded("microneedling", "Micro-needling session"),
                starts_at=datetime(2027, 2, 3, 9, tzinfo=UTC),
                ends_at=datetime(2027, 2, 3, 10, tzinfo=UTC),
                created_at=NOW,
                practitioner_id=7,
                site_id=1,
                room_id=2,
                window=SessionWindow(11, 2, date(2027, 2, 1), date(2027, 2, 15)),
            ),
        ),
        "procedures": (
            ProcedureData(
                id=21,
                appointment_id=30,
                plan_id=11,
                performed_on=date(2027, 1, 4),
                practitioner_id=7,
                site_id=1,
                areas=(
                    TreatedAreaData(41, CHEEKS, Decimal("1.25"), 3, "Pen A", "LOT-9"),
                ),
                reaction=Coded("pih", "Post-inflammatory hyperpigmentation"),
            ),
        ),
        "scores": (
            ScoreData(
                id=51,
                scale=Coded("gb_qualitative", "Goodman & Baron qualitative"),
                scale_version="2006",
                area=CHEEKS,
                total=Decimal("3.00"),
                items=(ScoreItemData("grade", "Global grade", 3),),
                scored_on=date(2027, 1, 4),
                recorded_at=NOW,
                occasion="baseline",
                scored_by_id=None,
                plan_id=11,
            ),
        ),
        "photos": (
            PhotoData(
                id=PHOTO_ID,
                area=CHEEKS,
                view=Coded("front", "Front"),
                taken_on=date(2027, 1, 4),
                uploaded_at=NOW,
                uploaded_by_id=7,
                width_px=960,
                height_px=720,
                size_bytes=55_000,
                url=f"https://clinic.example/photos/{PHOTO_ID}/",
                consent_id=62,
            ),
        ),
        "consents": (
            ConsentData(
                id=61,
                kind=Coded("microneedling", "Micro-needling treatment"),
                status="withdrawn",
                text_version="mn-1",
                signed_at=NOW,
                ended_at=NOW,
            ),
            ConsentData(
                id=62,
                kind=Coded("photos", "Clinical photographs"),
                status="signed",
                text_version="ph-1",
                signed_at=NOW,
                photo_scope=Coded("teaching", "Clinical record and teaching"),
                photo_ids=(PHOTO_ID,),
            ),
        ),
    }
    values.update(changes)
    return PatientRecord(**values)


def _bundle(record=None):
    return fhir.everything_bundle(
        record or _record(), naming=NAMING, now=NOW, self_url="https://x/self"
    )


def _by_id(bundle):
    return {
        (e["resource"]["resourceType"], e["resource"]["id"]): e["resource"]
        for e in bundle["entry"]
    }


def _references(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield inner
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def test_every_resource_parses_back_and_every_reference_resolves():
    bundle = _bundle()
    fhir.parse_resource(bundle)
    resources = _by_id(bundle)
    assert {kind for kind, _ in resources} == set(fhir.RESOURCE_TYPES)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert fhir.parse_resource(resource) == resource["resourceType"]
        assert ID_PATTERN.match(resource["id"])
        assert entry["fullUrl"] == (
            f"https://clinic.example/fhir/{resource['resourceType']}/{resource['id']}"
        )
    references = list(_references(bundle))
    assert len(references) > 20
    for reference in references:
        kind, _, resource_id = reference.partition("/")
        assert (kind, resource_id) in resources, reference


def test_the_patient_is_the_match_and_comes_first():
    entries = _bundle()["entry"]
    assert entries[0]["resource"]["resourceType"] == "Patient"
    assert entries[0]["search"] == {"mode": "match"}
    assert {e["search"]["mode"] for e in entries[1:]} == {"include"}


def test_appointment_carries_its_session_window_and_fhir_status():
    appointment = _by_id(_bundle())[("Appointment", "31")]
    assert appointment["status"] == "booked"
    assert appointment["requestedPeriod"] == [
        {"start": "2027-02-01", "end": "2027-02-15"}
    ]
    assert appointment["supportingInformation"] == [{"reference": "CarePlan/11"}]
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors == [
        f"Patient/{PID}",
        "Practitioner/7",
        "Location/site-1",
        "Location/room-2",
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("booked", "booked"),
        ("arrived", "arrived"),
        ("completed", "fulfilled"),
        ("cancelled", "cancelled"),
        ("no_show", "noshow"),
    ],
)
def test_appointment_status_mapping(status, expected):
    base = _record().appointments[0]
    changed = replace(base, status=status, window=None)
    appointment = fhir.validated(
        fhir_mapping.appointment_resource(changed, PID, None, NAMING)
    )
    assert appointment["status"] == expected
    assert "requestedPeriod" not in appointment


def test_care_plan_has_one_activity_per_session_with_its_window():
    plan = _by_id(_bundle())[("CarePlan", "11")]
    details = [a["detail"] for a in plan["activity"]]
    assert [d["status"] for d in details] == ["completed", "scheduled", "on-hold"]
    assert [d["scheduledPeriod"] for d in details] == [
        {"start": "2027-01-04", "end": "2027-01-18"},
        {"start": "2027-02-01", "end": "2027-02-15"},
        {"start": "2027-03-01", "end": "2027-03-15"},
    ]
    assert plan["activity"][0]["outcomeReference"] == [{"reference": "Procedure/21"}]
    assert plan["addresses"] == [{"reference": "Condition/scar-11-0"}]
    assert plan["period"] == {"start": "2027-01-04", "end": "2027-03-15"}


def test_condition_is_the_scar_with_area_as_body_site():
    condition = _by_id(_bundle())[("Condition", "scar-11-0")]
    assert condition["code"]["text"] == "Rolling (acne)"
    assert condition["bodySite"][0]["coding"][0] == {
        "system": "https://clinic.example/fhir/CodeSystem/area",
        "code": "cheeks",
        "display": "Cheeks",
    }


def test_procedure_and_depth_observation_per_zone():
    resources = _by_id(_bundle())
    procedure = resources[("Procedure", "21")]
    assert procedure["status"] == "completed"
    assert [s["coding"][0]["code"] for s in procedure["bodySite"]] == ["cheeks"]
    assert procedure["complication"][0]["coding"][0]["code"] == "pih"
    depth = resources[("Observation", "depth-41")]
    assert depth["valueQuantity"]["value"] == 1.25
    assert depth["valueQuantity"]["code"] == "mm"
    assert depth["partOf"] == [{"reference": "Procedure/21"}]


def test_score_observation_has_total_and_items_and_patient_as_performer():
    score = _by_id(_bundle())[("Observation", "score-51")]
    assert score["code"]["coding"][0]["code"] == "gb_qualitative"
    assert score["code"]["coding"][0]["version"] == "2006"
    assert score["valueQuantity"]["value"] == 3
    items = [
        (c["code"]["coding"][0]["code"], c["valueInteger"]) for c in score["component"]
    ]
    assert items == [("grade", 3)]
    assert score["performer"] == [{"reference": f"Patient/{PID}"}]
    assert score["category"][0]["coding"][0]["code"] == "survey"


def test_fitzpatrick_is_an_observation():
    observation = _by_id(_bundle())[("Observation", f"fitzpatrick-{PID}")]
    assert observation["valueCodeableConcept"]["coding"][0]["code"] == "IV"
    assert observation["effectiveDateTime"] == "2027-01-04"


def test_media_points_to_the_photo_view_and_holds_no_bytes():
    media = _by_id(_bundle())[("Media", PHOTO_ID)]
    assert media["content"]["url"] == f"https://clinic.example/photos/{PHOTO_ID}/"
    assert "data" not in media["content"]
    assert media["content"]["contentType"] == "image/jpeg"


def test_consents_scope_status_and_photos_covered():
    resources = _by_id(_bundle())
    treatment = resources[("Consent", "61")]
    assert treatment["scope"]["coding"][0]["code"] == "treatment"
    assert treatment["status"] == "inactive"
    assert treatment["provision"]["period"]["end"] == NOW.isoformat().replace(
        "+00:00", "Z"
    )
    photos = resources[("Consent", "62")]
    assert photos["scope"]["coding"][0]["code"] == "patient-privacy"
    assert photos["status"] == "active"
    assert photos["provision"]["purpose"][0]["code"] == "teaching"
    assert photos["provision"]["data"] == [
        {"meaning": "instance", "reference": {"reference": f"Media/{PHOTO_ID}"}}
    ]


def test_a_patient_with_nothing_yet_is_a_bundle_of_one_patient():
    bare = PatientRecord(patient=_record().patient)
    bundle = _bundle(bare)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "Observation"]  # the phototype


def test_invalid_resources_are_refused():
    with pytest.raises(ValueError, match="bogus"):
        fhir.validated({"resourceType": "Patient", "bogus": 1})
    with pytest.raises(ValueError, match="status"):
        fhir.validated({"resourceType": "Observation", "code": {"text": "x"}})


def test_naive_instants_are_refused():
    changed = replace(_record().care_plan, created_at=datetime(2027, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        fhir_mapping.care_plan_resource(changed, PID, [], NAMING)


def test_capability_statement_is_r4_and_offers_patient_everything():
    statement = fhir.capability_statement(
        naming=NAMING, software_version="1.0", published_on=date(2026, 11, 30)
    )
    assert fhir.parse_resource(statement) == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == set(fhir.RESOURCE_TYPES)
    assert resources["Patient"]["operation"][0]["name"] == "everything"


def test_operation_outcome_codes():
    outcome = fhir.operation_outcome(status=404, diagnostics="No such patient.")
    assert outcome["issue"] == [
        {"severity": "error", "code": "not-found", "diagnostics": "No such patient."}
    ]
