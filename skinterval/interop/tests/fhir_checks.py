"""Checks shared by the FHIR tests: every resource parses back with its R4B
model (through the adapter, the only module that imports fhir.resources), every
id is a valid FHIR id, and every reference resolves inside the export."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from skinterval.interop import fhir

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
REFERENCE_PATTERN = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


def references(value: Any) -> Iterator[str]:
    """Every `Reference.reference` anywhere inside a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield inner
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def check_resources(resources: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """Parse each resource back, check ids are valid and unique and that every
    reference points at one of them; the resources by (type, id)."""
    found: dict[tuple[str, str], Any] = {}
    resources = list(resources)
    for resource in resources:
        kind = fhir.parse_resource(resource)
        assert ID_PATTERN.match(resource["id"]), resource["id"]
        key = (kind, resource["id"])
        assert key not in found, f"duplicate {key}"
        found[key] = resource
    for resource in resources:
        for reference in references(resource):
            match = REFERENCE_PATTERN.match(reference)
            assert match, f"not a relative reference: {reference}"
            assert match.groups() in found, f"{reference} does not resolve"
    return found


def check_bundle(bundle: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """`check_resources` on a Bundle's entries, plus the Bundle itself and each
    entry's fullUrl (the FHIR base followed by `Type/id`)."""
    assert fhir.parse_resource(bundle) == "Bundle"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(
            f"/fhir/{resource['resourceType']}/{resource['id']}"
        )
    return check_resources(entry["resource"] for entry in bundle["entry"])


def by_id(bundle: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        (e["resource"]["resourceType"], e["resource"]["id"]): e["resource"]
        for e in bundle["entry"]
    }


def attachments(value: Any) -> Iterator[dict[str, Any]]:
    """Every Attachment (a JSON object with a `contentType`) inside a value."""
    if isinstance(value, dict):
        if "contentType" in value:
            yield value
        for inner in value.values():
            yield from attachments(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from attachments(inner)


def assert_no_embedded_bytes(value: Any) -> None:
    for attachment in attachments(value):
        assert "data" not in attachment, "an attachment holds bytes"
        assert attachment["url"].startswith("http"), attachment
