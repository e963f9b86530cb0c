"""`manage.py export_fhir --clinic SLUG --out DIR`: one clinic as FHIR R4 NDJSON
files (one per resource type), for moving to another system. Progress goes to
stderr, the list of files to stdout. See docs/fhir.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from skinterval.clinics.models import Clinic
from skinterval.interop.fhir_bulk import ExportRefused, export_clinic


class Command(BaseCommand):
    help = "Export one clinic's patients as FHIR R4 NDJSON files (bulk export)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's short name.")
        parser.add_argument(
            "--out", required=True, type=Path, help="A new or empty folder."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["clinic"]
        folder = Path(options["out"])
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            raise CommandError(f"No clinic with the short name {slug!r}.")
        try:
            summary = export_clinic(
                clinic=clinic,
                folder=folder,
                now=timezone.now(),
                progress=self.stderr.write,
            )
        except ExportRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"Exported {summary.patients} patients to {folder}:")
        for kind, count in summary.counts.items():
            self.stdout.write(f"  {kind}.ndjson  {count} resources")
