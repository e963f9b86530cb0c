"""FHIR R4 from a patient's record: the one module that imports `fhir.resources`.

`fhir_mapping` shapes our records as FHIR R4 JSON; this adapter validates every
resource with the `fhir.resources` R4B model of its type before it leaves
(R4B is the closest model set the library ships to R4 4.0.1; only elements that
R4 has too are used), and builds the Bundle, the CapabilityStatement and
OperationOutcomes. Pure: no Django, no database, no clock (callers pass `now`).
See docs/fhir.md and docs/decisions/0015-fhir-export.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from skinterval.interop import fhir_mapping
from skinterval.interop.fhir_mapping import (
    APPOINTMENT_STATUS,
    CONSENT_STATUS,
    JSON,
    RESOURCE_TYPES,
    Naming,
)
from skinterval.interop.fhir_records import (
    PatientRecord,
    PractitionerData,
    RoomData,
    SiteData,
)

__all__ = [
    "APPOINTMENT_STATUS",
    "CONSENT_STATUS",
    "CONTENT_TYPE",
    "FHIR_VERSION",
    "RESOURCE_TYPES",
    "Naming",
    "capability_statement",
    "directory_resources",
    "everything_bundle",
    "ndjson_line",
    "operation_outcome",
    "parse_resource",
    "patient_resources",
    "validated",
]

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json"


# --------------------------------------------------------------- validation


def validated(data: Mapping[str, Any]) -> JSON:
    """`data` parsed by the R4B model of its `resourceType` (refusing unknown
    elements, wrong types and missing required elements) and written back as
    FHIR JSON. Raises ValueError (pydantic's ValidationError) when invalid."""
    model_class = get_fhir_model_class(str(data["resourceType"]))
    model = model_class.model_validate(dict(data))
    out: JSON = model.model_dump(mode="json", exclude_none=True)
    return out


def parse_resource(data: Mapping[str, Any]) -> str:
    """Parse one FHIR JSON resource with its R4B model; its resource type.
    For consumers of exports (and the tests), so they need not import
    `fhir.resources` themselves."""
    validated(data)
    return str(data["resourceType"])


def ndjson_line(resource: Mapping[str, Any]) -> str:
    """One resource as one line of a bulk-data NDJSON file (no newline)."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------- records


def patient_resources(record: PatientRecord, naming: Naming) -> list[JSON]:
    """The patient's own resources (not the practitioners and locations they
    refer to), in `RESOURCE_TYPES` order, each validated."""
    return [validated(r) for r in fhir_mapping.patient_resources(record, naming)]


def directory_resources(
    practitioners: Iterable[PractitionerData],
    sites: Iterable[SiteData],
    rooms: Iterable[RoomData],
    naming: Naming,
) -> list[JSON]:
    """Practitioners and locations (sites, then rooms), each validated."""
    return [
        validated(r)
        for r in fhir_mapping.directory_resources(practitioners, sites, rooms, naming)
    ]


def everything_bundle(
    record: PatientRecord, *, naming: Naming, now: datetime, self_url: str
) -> JSON:
    """`Patient/<id>/$everything`: a searchset Bundle holding the patient (the
    match) and everything of theirs, with the practitioners and locations it
    refers to (included)."""
    own = patient_resources(record, naming)
    directory = directory_resources(
        record.practitioners, record.sites, record.rooms, naming
    )
    resources = [own[0], *directory, *own[1:]]
    entries = [
        {
            "fullUrl": naming.full_url(resource),
            "resource": resource,
            "search": {"mode": "match" if i == 0 else "include"},
        }
        for i, resource in enumerate(resources)
    ]
    return validated(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": fhir_mapping.instant(now),
            "total": 1,
            "link": [{"relation": "self", "url": self_url}],
            "entry": entries,
        }
    )


# --------------------------------------------------------------- server


def capability_statement(
    *, naming: Naming, software_version: str, published_on: date
) -> JSON:
    """What this server offers: `Patient/$everything` (bearer token) and this
    statement; the other resource types only inside it and in the bulk export."""
    others = [
        {
            "type": resource_type,
            "documentation": (
                "Returned inside Patient/$everything and written by the bulk "
                "export (manage.py export_fhir); not read or searched on its own."
            ),
        }
        for resource_type in RESOURCE_TYPES
        if resource_type != "Patient"
    ]
    return validated(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": published_on.isoformat(),
            "publisher": "Skinterval",
            "kind": "instance",
            "software": {"name": "Skinterval", "version": software_version},
            "implementation": {
                "description": "Skinterval FHIR R4 export",
                "url": naming.fhir_base,
            },
            "fhirVersion": FHIR_VERSION,
            "format": [CONTENT_TYPE, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Read-only export. Every request but /metadata needs "
                        "'Authorization: Bearer <API token>' of an active staff "
                        "member; a patient is found only by the staff of their "
                        "own clinic."
                    ),
                    "security": {
                        "cors": False,
                        "description": (
                            "Bearer API tokens (Authorization: Bearer skt_...), "
                            "made with manage.py create_api_token."
                        ),
                    },
                    "resource": [
                        {
                            "type": "Patient",
                            "operation": [
                                {
                                    "name": "everything",
                                    "definition": (
                                        "http://hl7.org/fhir/OperationDefinition/"
                                        "Patient-everything"
                                    ),
                                    "documentation": (
                                        "GET [base]/Patient/[id]/$everything; no "
                                        "parameters are supported."
                                    ),
                                }
                            ],
                        },
                        *others,
                    ],
                }
            ],
        }
    )


# The issue codes of OperationOutcome for the statuses the views return.
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    500: "exception",
}


def operation_outcome(*, status: int, diagnostics: str) -> JSON:
    """An error as FHIR reports one. `diagnostics` must hold no patient data."""
    return validated(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": _ISSUE_CODES.get(status, "processing"),
                    "diagnostics": diagnostics,
                }
            ],
        }
    )
