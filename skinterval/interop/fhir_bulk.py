"""Bulk export of one clinic as FHIR R4 NDJSON files, for moving to another system.

One file per resource type (`Patient.ndjson`, `Observation.ndjson`, ...), one
resource per line, in the layout of the FHIR Bulk Data Access specification's
output files; references between them are relative (`Patient/<id>`), so they
resolve across the files. `manifest.json` is written last, listing the files
and their line counts: a folder without it is an export that did not finish.

Files are created readable by their owner only (0600, the folder 0700) and
never overwrite anything: the folder must be new or empty. Each patient's
record is read on its own, so the export is not one snapshot of a clinic that
is changing meanwhile; run it when the clinic is closed if that matters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.clinics.models import Clinic
from skinterval.interop.fhir import (
    FHIR_VERSION,
    RESOURCE_TYPES,
    directory_resources,
    ndjson_line,
    patient_resources,
)
from skinterval.interop.fhir_queries import (
    clinic_directory,
    clinic_patients,
    fhir_naming,
    patient_record,
)

MANIFEST = "manifest.json"
PROGRESS_EVERY = 10  # patients


class ExportRefused(Exception):
    """The export cannot start (the folder is not empty or not a folder)."""


@dataclass
class ExportSummary:
    patients: int = 0
    counts: dict[str, int] = field(default_factory=dict)


class _Writer:
    """One NDJSON file per resource type, created on its first resource."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict[str, Any]) -> None:
        kind = str(resource["resourceType"])
        handle = self.files.get(kind)
        if handle is None:
            handle = _create(self.folder / f"{kind}.ndjson")
            self.files[kind] = handle
            self.counts[kind] = 0
        handle.write(ndjson_line(resource) + "\n")
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _create(path: Path) -> IO[str]:
    """A new file only its owner can read; refuses to replace one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def _prepare(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise ExportRefused(f"{folder} is not a folder.")
        if any(folder.iterdir()):
            raise ExportRefused(f"{folder} is not empty: choose a new or empty folder.")
        return
    folder.mkdir(parents=True, mode=0o700)


def export_clinic(
    *,
    clinic: Clinic,
    folder: Path,
    now: datetime,
    progress: Callable[[str], None] = lambda message: None,
) -> ExportSummary:
    """Write every patient of `clinic` (and its staff and locations) to `folder`."""
    _prepare(folder)
    naming = fhir_naming()
    writer = _Writer(folder)
    summary = ExportSummary()
    try:
        staff, sites, rooms = clinic_directory(clinic)
        for resource in directory_resources(staff, sites, rooms, naming):
            writer.write(resource)
        patients = clinic_patients(clinic)
        total = patients.count()
        progress(f"Exporting {total} patients of {clinic.slug} to {folder}")
        for done, patient in enumerate(patients.iterator(), start=1):
            for resource in patient_resources(patient_record(patient), naming):
                writer.write(resource)
            summary.patients = done
            if done % PROGRESS_EVERY == 0 or done == total:
                progress(f"  {done}/{total} patients")
    finally:
        writer.close()
    summary.counts = {
        kind: writer.counts[kind] for kind in RESOURCE_TYPES if kind in writer.counts
    }
    _write_manifest(folder, clinic=clinic, now=now, counts=summary.counts)
    record(request_or_user=None, action=AuditAction.EXPORT, obj=clinic, now=now)
    return summary


def _write_manifest(
    folder: Path, *, clinic: Clinic, now: datetime, counts: dict[str, int]
) -> None:
    manifest = {
        "transactionTime": now.isoformat(),
        "request": f"manage.py export_fhir --clinic {clinic.slug}",
        "requiresAccessToken": False,
        "fhirVersion": FHIR_VERSION,
        "output": [
            {"type": kind, "url": f"{kind}.ndjson", "count": count}
            for kind, count in counts.items()
        ],
        "error": [],
    }
    with _create(folder / MANIFEST) as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
