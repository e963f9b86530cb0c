"""The FHIR R4 endpoints: `/fhir/metadata` and `/fhir/Patient/<id>/$everything`.

Authentication is by API token only (`Authorization: Bearer skt_...`,
`accounts.api_tokens`): a logged-in browser session does not count, so a page
or script in a staff member's browser cannot pull whole records with their
cookie. Then the same scoping as the JSON API: active staff of the patient's
clinic get the bundle; staff of another clinic get 404; patients' and other
logins get 403. Every error is an OperationOutcome that names nothing of the
patient. Every bundle served is recorded in the audit log (`export`).
"""

from __future__ import annotations

import json
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from skinterval.accounts.api_tokens import user_for_bearer
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.clinics.queries import staff_member_for
from skinterval.interop.fhir import (
    CONTENT_TYPE,
    capability_statement,
    everything_bundle,
    operation_outcome,
)
from skinterval.interop.fhir_queries import fhir_naming, patient_record
from skinterval.patients.queries import get_patient_for_user

# The day the CapabilityStatement last changed (its `date`).
CAPABILITY_PUBLISHED_ON = date(2026, 11, 30)
_SAFE_METHODS = ("GET", "HEAD")


def _software_version() -> str:
    try:
        return version("skinterval")
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def _fhir_response(
    data: dict[str, Any], *, status: int = 200, private: bool = True
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status=status,
        content_type=f"{CONTENT_TYPE}; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store" if private else "max-age=3600"
    return response


def _error(status: int, message: str) -> HttpResponse:
    response = _fhir_response(
        operation_outcome(status=status, diagnostics=message), status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    if status == 405:
        response["Allow"] = ", ".join(_SAFE_METHODS)
    return response


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement; open to anyone (it holds no data)."""
    if request.method not in _SAFE_METHODS:
        return _error(405, "Only GET is supported.")
    statement = capability_statement(
        naming=fhir_naming(),
        software_version=_software_version(),
        published_on=CAPABILITY_PUBLISHED_ON,
    )
    return _fhir_response(statement, private=False)


def patient_everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    """`GET /fhir/Patient/<uuid>/$everything`: a searchset Bundle."""
    if request.method not in _SAFE_METHODS:
        return _error(405, "Only GET is supported.")
    user = user_for_bearer(request)
    if user is None:
        return _error(401, "Send a valid API token: Authorization: Bearer <token>.")
    if staff_member_for(user) is None:
        return _error(403, "Only clinic staff can export patient records.")
    try:
        patient = get_patient_for_user(user, patient_id)
    except Http404:
        return _error(404, "No such patient.")
    naming = fhir_naming()
    bundle = everything_bundle(
        patient_record(patient),
        naming=naming,
        now=timezone.now(),
        self_url=f"{naming.fhir_base}/Patient/{patient.pk}/$everything",
    )
    record(
        request_or_user=user,
        action=AuditAction.EXPORT,
        obj=patient,
        source_ip=request.META.get("REMOTE_ADDR"),
    )
    return _fhir_response(bundle)
