"""Our records as FHIR R4 JSON: one function per resource type. Pure Python:
no Django, no database, no clock, and no `fhir.resources` either. The JSON is
checked by the adapter (`interop.fhir`), which is what callers use; see
docs/fhir.md and docs/decisions/0015-fhir-export.md.

Ids are derived from database ids (`Appointment/812`, `Observation/score-31`,
`Patient/<uuid>`), so every export of the same row names it the same way and a
reference `Type/id` always points at a resource of the same export. Codes the
product defines (areas, scar kinds, scales, photo views) use code systems under
the deployment's FHIR base (`<base>/CodeSystem/area`); HL7, LOINC and UCUM codes
are used only where they are certain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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
    SiteData,
    TreatedAreaData,
)

HL7 = "http://terminology.hl7.org/CodeSystem/"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"

JSON = dict[str, Any]

# Our statuses -> FHIR R4 value sets. A status missing here is a bug: the
# interop tests check that every status of the models is mapped.
APPOINTMENT_STATUS: Mapping[str, str] = {
    "held": "pending",
    "booked": "booked",
    "arrived": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
CONSENT_STATUS: Mapping[str, str] = {
    "signed": "active",
    "withdrawn": "inactive",
    "replaced": "inactive",
}
CONSENT_SCOPE: Mapping[str, str] = {
    "microneedling": "treatment",
    "photos": "patient-privacy",
}
# The resource types of an export, in the order they are written.
RESOURCE_TYPES: tuple[str, ...] = (
    "Patient",
    "Practitioner",
    "Location",
    "Condition",
    "CarePlan",
    "Appointment",
    "Procedure",
    "Observation",
    "Media",
    "Consent",
)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


@dataclass(frozen=True, slots=True)
class Naming:
    """Where this deployment's FHIR endpoints live (`https://clinic.example/fhir`,
    no trailing slash): the base of full URLs, code systems and identifiers."""

    fhir_base: str

    def system(self, name: str) -> str:
        return f"{self.fhir_base}/CodeSystem/{name}"

    def identifier_system(self, name: str) -> str:
        return f"{self.fhir_base}/sid/{name}"

    def full_url(self, resource: Mapping[str, Any]) -> str:
        return f"{self.fhir_base}/{resource['resourceType']}/{resource['id']}"


# --------------------------------------------------------------- helpers


def ref(resource_type: str, resource_id: str | int) -> JSON:
    return {"reference": f"{resource_type}/{resource_id}"}


def _concept(naming: Naming, system: str, coded: Coded) -> JSON:
    return {
        "coding": [
            {
                "system": naming.system(system),
                "code": coded.code,
                "display": coded.label,
            }
        ],
        "text": coded.label,
    }


def _hl7(system: str, code: str, display: str | None = None) -> JSON:
    coding: JSON = {"system": HL7 + system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _body_site(naming: Naming, area: Coded) -> JSON:
    return _concept(naming, "area", area)


def _when(value: date | datetime) -> str:
    return value.isoformat()


def instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("FHIR instants must be timezone-aware.")
    return value.isoformat()


def _period(start: date | datetime, end: date | datetime | None) -> JSON:
    period = {"start": _when(start)}
    if end is not None:
        period["end"] = _when(end)
    return period


def _quantity(value: Decimal, unit: str, code: str) -> JSON:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _practitioner_id(staff_id: int) -> str:
    return str(staff_id)


def _site_id(site_id: int) -> str:
    return f"site-{site_id}"


def _room_id(room_id: int) -> str:
    return f"room-{room_id}"


def condition_id(plan_id: int, scar: ScarData) -> str:
    return f"scar-{plan_id}-{scar.index}"


# --------------------------------------------------------------- directory


def practitioner_resource(p: PractitionerData, naming: Naming) -> JSON:
    data: JSON = {
        "resourceType": "Practitioner",
        "id": _practitioner_id(p.id),
        "identifier": [
            {"system": naming.identifier_system("staff"), "value": str(p.id)}
        ],
        "active": p.active,
        "name": [{"text": p.name}],
    }
    qualifications = []
    for q in p.qualifications:
        entry: JSON = {"code": _concept(naming, "qualification", q.kind)}
        if q.registration_number:
            entry["identifier"] = [{"value": q.registration_number}]
        if q.valid_until_on is not None:
            entry["period"] = {"end": _when(q.valid_until_on)}
        qualifications.append(entry)
    if qualifications:
        data["qualification"] = qualifications
    return data


def site_resource(site: SiteData, naming: Naming) -> JSON:
    data: JSON = {
        "resourceType": "Location",
        "id": _site_id(site.id),
        "status": "active",
        "name": site.name,
        "mode": "instance",
        "physicalType": _hl7("location-physical-type", "si", "Site"),
    }
    address = " ".join(site.address.split())
    if address:
        data["address"] = {"text": address}
    return data


def room_resource(room: RoomData, naming: Naming) -> JSON:
    return {
        "resourceType": "Location",
        "id": _room_id(room.id),
        "status": "active" if room.active else "inactive",
        "name": room.name,
        "mode": "instance",
        "physicalType": _hl7("location-physical-type", "ro", "Room"),
        "partOf": ref("Location", _site_id(room.site_id)),
    }


# --------------------------------------------------------------- the patient


def patient_resource(p: PatientData, naming: Naming) -> JSON:
    data: JSON = {
        "resourceType": "Patient",
        "id": p.id,
        "identifier": [
            {
                "use": "usual",
                "type": {
                    **_hl7("v2-0203", "MR", "Medical record number"),
                    "text": "Chart number",
                },
                "system": naming.identifier_system(f"chart-number/{p.clinic_slug}"),
                "value": p.chart_number,
                "assigner": {"display": p.clinic_name},
            }
        ],
        "active": True,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "birthDate": _when(p.born_on),
        "managingOrganization": {"display": p.clinic_name},
    }
    telecom = []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if telecom:
        data["telecom"] = telecom
    return data


def fitzpatrick_observation(p: PatientData, naming: Naming) -> JSON | None:
    if p.fitzpatrick is None:
        return None
    roman = _ROMAN[int(p.fitzpatrick.code)]
    data: JSON = {
        "resourceType": "Observation",
        "id": f"fitzpatrick-{p.id}",
        "status": "final",
        "category": [_hl7("observation-category", "exam", "Exam")],
        "code": _concept(
            naming,
            "observation",
            Coded("fitzpatrick", "Fitzpatrick skin phototype"),
        ),
        "subject": ref("Patient", p.id),
        "valueCodeableConcept": _concept(
            naming, "fitzpatrick", Coded(roman, p.fitzpatrick.label)
        ),
    }
    if p.fitzpatrick_on is not None:
        data["effectiveDateTime"] = _when(p.fitzpatrick_on)
    return data


def condition_resources(
    assessment: AssessmentData, patient_id: str, naming: Naming
) -> list[JSON]:
    out = []
    for scar in assessment.scars:
        data: JSON = {
            "resourceType": "Condition",
            "id": condition_id(assessment.plan_id, scar),
            "clinicalStatus": _hl7("condition-clinical", "active", "Active"),
            "verificationStatus": _hl7(
                "condition-ver-status", "confirmed", "Confirmed"
            ),
            "category": [
                _hl7("condition-category", "problem-list-item", "Problem List Item")
            ],
            "code": _concept(naming, "scar-kind", scar.kind),
            "bodySite": [_body_site(naming, scar.area)],
            "subject": ref("Patient", patient_id),
            "recordedDate": _when(assessment.assessed_on),
            "recorder": ref("Practitioner", assessment.recorded_by_id),
        }
        if scar.wound_closed_on is not None:
            data["onsetDateTime"] = _when(scar.wound_closed_on)
        if scar.grade is not None:
            data["stage"] = [
                {"summary": {"text": f"Goodman & Baron grade {scar.grade}"}}
            ]
        if scar.count is not None:
            data["note"] = [{"text": f"Scar count: {scar.count}"}]
        out.append(data)
    return out


def activity_status(session: PlannedSessionData) -> str:
    """The FHIR status of a planned session's activity."""
    if session.procedure_id is not None or session.appointment_status == "completed":
        return "completed"
    if session.appointment_status == "arrived":
        return "in-progress"
    if session.held:
        return "on-hold"
    if session.appointment_status == "booked":
        return "scheduled"
    return "not-started"


def care_plan_resource(
    plan: CarePlanData,
    patient_id: str,
    condition_ids: Sequence[str],
    naming: Naming,
) -> JSON:
    sessions = plan.sessions
    activities = []
    for s in sessions:
        activity: JSON = {
            "detail": {
                "kind": "Appointment",
                "code": {"text": f"Micro-needling session {s.number}"},
                "status": activity_status(s),
                "scheduledPeriod": _period(s.earliest_on, s.latest_on),
                "description": (
                    f"Session {s.number}: from {s.earliest_on.isoformat()} to "
                    f"{s.latest_on.isoformat()}, aiming for {s.target_on.isoformat()}"
                ),
            }
        }
        if s.procedure_id is not None:
            activity["outcomeReference"] = [ref("Procedure", s.procedure_id)]
        activities.append(activity)
    data: JSON = {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "identifier": [
            {"system": naming.identifier_system("plan"), "value": str(plan.id)}
        ],
        "status": "active",
        "intent": "plan",
        "category": [{"text": "Micro-needling series"}],
        "title": f"Micro-needling series (plan version {plan.version})",
        "description": (
            f"{len(sessions)} sessions, {plan.interval_min_days}-"
            f"{plan.interval_max_days} days apart, aiming for "
            f"{plan.interval_target_days}."
        ),
        "subject": ref("Patient", patient_id),
        "created": instant(plan.created_at),
        "activity": activities,
    }
    if sessions:
        data["period"] = _period(sessions[0].earliest_on, sessions[-1].latest_on)
    if plan.approved_by_id is not None:
        data["author"] = ref("Practitioner", plan.approved_by_id)
    if condition_ids:
        data["addresses"] = [ref("Condition", c) for c in condition_ids]
    return data


def appointment_resource(
    a: AppointmentData, patient_id: str, care_plan_id: int | None, naming: Naming
) -> JSON:
    participants: list[JSON] = [
        {"actor": ref("Patient", patient_id), "required": "required"},
        {"actor": ref("Practitioner", a.practitioner_id), "required": "required"},
        {"actor": ref("Location", _site_id(a.site_id)), "required": "required"},
    ]
    if a.room_id is not None:
        participants.append(
            {"actor": ref("Location", _room_id(a.room_id)), "required": "required"}
        )
    for participant in participants:
        participant["status"] = "accepted"
    description = a.service.label
    if a.window is not None:
        description = f"{description}, planned session {a.window.number}"
    data: JSON = {
        "resourceType": "Appointment",
        "id": str(a.id),
        "status": APPOINTMENT_STATUS[a.status],
        "serviceType": [_concept(naming, "service-kind", a.service)],
        "description": description,
        "start": instant(a.starts_at),
        "end": instant(a.ends_at),
        "minutesDuration": int((a.ends_at - a.starts_at).total_seconds() // 60),
        "created": instant(a.created_at),
        "participant": participants,
    }
    if a.window is not None:
        data["requestedPeriod"] = [_period(a.window.earliest_on, a.window.latest_on)]
        if a.window.plan_id == care_plan_id:
            data["supportingInformation"] = [ref("CarePlan", care_plan_id)]
    if a.status == "cancelled" and a.cancellation_reason:
        data["cancelationReason"] = {"text": a.cancellation_reason}
    return data


def procedure_resource(
    p: ProcedureData, patient_id: str, care_plan_id: int | None, naming: Naming
) -> JSON:
    data: JSON = {
        "resourceType": "Procedure",
        "id": str(p.id),
        "status": "completed",
        "code": _concept(
            naming,
            "procedure",
            Coded("microneedling", "Micro-needling (collagen induction therapy)"),
        ),
        "subject": ref("Patient", patient_id),
        "performedDateTime": _when(p.performed_on),
        "performer": [{"actor": ref("Practitioner", p.practitioner_id)}],
        "location": ref("Location", _site_id(p.site_id)),
        "bodySite": [_body_site(naming, area.area) for area in p.areas],
        "usedCode": [
            {"text": f"{area.device_name}, cartridge lot {area.cartridge_lot}"}
            for area in p.areas
        ],
    }
    if p.plan_id == care_plan_id:
        data["basedOn"] = [ref("CarePlan", p.plan_id)]
    if p.reaction.code != "expected":
        data["complication"] = [_concept(naming, "reaction", p.reaction)]
    else:
        data["outcome"] = _concept(naming, "reaction", p.reaction)
    notes = [
        text
        for text in (
            f"Anaesthetic: {p.anaesthetic.label}" if p.anaesthetic else "",
            f"Endpoint: {p.endpoint.label}" if p.endpoint else "",
            f"Adjuncts: {p.adjuncts}" if p.adjuncts else "",
            p.notes,
        )
        if text
    ]
    if notes:
        data["note"] = [{"text": text} for text in notes]
    return data


def depth_observation(
    area: TreatedAreaData, procedure: ProcedureData, patient_id: str, naming: Naming
) -> JSON:
    return {
        "resourceType": "Observation",
        "id": f"depth-{area.id}",
        "status": "final",
        "category": [_hl7("observation-category", "procedure", "Procedure")],
        "code": _concept(naming, "observation", Coded("needle-depth", "Needle depth")),
        "subject": ref("Patient", patient_id),
        "partOf": [ref("Procedure", procedure.id)],
        "effectiveDateTime": _when(procedure.performed_on),
        "performer": [ref("Practitioner", procedure.practitioner_id)],
        "bodySite": _body_site(naming, area.area),
        "valueQuantity": _quantity(area.depth_mm, "mm", "mm"),
        "component": [
            {
                "code": _concept(naming, "observation", Coded("passes", "Passes")),
                "valueInteger": area.passes,
            },
            {
                "code": _concept(naming, "observation", Coded("device", "Device")),
                "valueString": area.device_name,
            },
            {
                "code": _concept(
                    naming, "observation", Coded("cartridge-lot", "Cartridge lot")
                ),
                "valueString": area.cartridge_lot,
            },
        ],
    }


def score_observation(
    s: ScoreData, patient_id: str, care_plan_id: int | None, naming: Naming
) -> JSON:
    by_patient = s.scored_by_id is None
    code = _concept(naming, "scale", s.scale)
    code["coding"][0]["version"] = s.scale_version
    data: JSON = {
        "resourceType": "Observation",
        "id": f"score-{s.id}",
        "status": "final",
        "category": [
            _hl7("observation-category", "survey", "Survey")
            if by_patient
            else _hl7("observation-category", "exam", "Exam")
        ],
        "code": code,
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": _when(s.scored_on),
        "issued": instant(s.recorded_at),
        "performer": [
            ref("Patient", patient_id)
            if s.scored_by_id is None
            else ref("Practitioner", s.scored_by_id)
        ],
        "bodySite": _body_site(naming, s.area),
        "valueQuantity": _quantity(s.total, "score", "{score}"),
        "note": [{"text": f"Occasion: {s.occasion}"}],
    }
    if s.items:
        data["component"] = [
            {
                "code": _concept(
                    naming,
                    f"scale-items/{s.scale.code}",
                    Coded(item.item_id, item.label),
                ),
                "valueInteger": item.value,
            }
            for item in s.items
        ]
    if s.plan_id is not None and s.plan_id == care_plan_id:
        data["basedOn"] = [ref("CarePlan", care_plan_id)]
    return data


def media_resource(photo: PhotoData, patient_id: str, naming: Naming) -> JSON:
    """A photo by reference: `content.url` is the permission-checked photo view
    (a staff login is needed to open it); the bytes are never included."""
    return {
        "resourceType": "Media",
        "id": photo.id,
        "status": "completed",
        "type": _hl7("media-type", "image", "Image"),
        "view": _concept(naming, "photo-view", photo.view),
        "subject": ref("Patient", patient_id),
        "createdDateTime": _when(photo.taken_on),
        "issued": instant(photo.uploaded_at),
        "operator": ref("Practitioner", photo.uploaded_by_id),
        "bodySite": _body_site(naming, photo.area),
        "height": photo.height_px,
        "width": photo.width_px,
        "content": {
            "contentType": photo.content_type,
            "url": photo.url,
            "size": photo.size_bytes,
            "title": (
                f"{photo.area.label}, {photo.view.label}, {photo.taken_on.isoformat()}"
            ),
        },
    }


def consent_resource(c: ConsentData, patient_id: str, naming: Naming) -> JSON:
    provision: JSON = {
        "type": "permit",
        "period": _period(c.signed_at, c.ended_at),
    }
    if c.photo_scope is not None:
        provision["purpose"] = [
            {
                "system": naming.system("photo-scope"),
                "code": c.photo_scope.code,
                "display": c.photo_scope.label,
            }
        ]
    if c.photo_ids:
        provision["data"] = [
            {"meaning": "instance", "reference": ref("Media", photo_id)}
            for photo_id in c.photo_ids
        ]
    scope = CONSENT_SCOPE[c.kind.code]
    return {
        "resourceType": "Consent",
        "id": str(c.id),
        "identifier": [
            {"system": naming.identifier_system("consent"), "value": str(c.id)}
        ],
        "status": CONSENT_STATUS[c.status],
        "scope": _hl7("consentscope", scope),
        "category": [
            {
                "coding": [
                    {
                        "system": LOINC,
                        "code": "59284-0",
                        "display": "Consent Document",
                    }
                ],
                "text": c.kind.label,
            }
        ],
        "patient": ref("Patient", patient_id),
        "dateTime": instant(c.signed_at),
        "performer": [ref("Patient", patient_id)],
        "policyRule": {
            "coding": [
                {"system": naming.system("consent-text"), "code": c.text_version}
            ],
            "text": f"Consent text {c.text_version}",
        },
        "provision": provision,
    }


# --------------------------------------------------------------- a whole record


def patient_resources(record: PatientRecord, naming: Naming) -> list[JSON]:
    """The patient's own resources (not the practitioners and locations they
    refer to), in `RESOURCE_TYPES` order."""
    pid = record.patient.id
    plan_id = record.care_plan.id if record.care_plan is not None else None
    out = [patient_resource(record.patient, naming)]
    conditions = (
        condition_resources(record.assessment, pid, naming)
        if record.assessment is not None
        else []
    )
    out.extend(conditions)
    if record.care_plan is not None:
        out.append(
            care_plan_resource(
                record.care_plan, pid, [c["id"] for c in conditions], naming
            )
        )
    out.extend(
        appointment_resource(a, pid, plan_id, naming) for a in record.appointments
    )
    out.extend(procedure_resource(p, pid, plan_id, naming) for p in record.procedures)
    fitzpatrick = fitzpatrick_observation(record.patient, naming)
    if fitzpatrick is not None:
        out.append(fitzpatrick)
    out.extend(score_observation(s, pid, plan_id, naming) for s in record.scores)
    out.extend(
        depth_observation(area, p, pid, naming)
        for p in record.procedures
        for area in p.areas
    )
    out.extend(media_resource(photo, pid, naming) for photo in record.photos)
    out.extend(consent_resource(c, pid, naming) for c in record.consents)
    return out


def directory_resources(
    practitioners: Iterable[PractitionerData],
    sites: Iterable[SiteData],
    rooms: Iterable[RoomData],
    naming: Naming,
) -> list[JSON]:
    return [
        *(practitioner_resource(p, naming) for p in practitioners),
        *(site_resource(s, naming) for s in sites),
        *(room_resource(r, naming) for r in rooms),
    ]
