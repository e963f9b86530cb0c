"""The FHIR export of the demo data set: every demo patient's `$everything`
bundle validates and resolves, and the bulk export of a clinic parses line by
line with every reference resolving across its files."""

from __future__ import annotations

import base64
import json
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from skinterval import testing as t
from skinterval.accounts.models import User
from skinterval.clinics.models import Clinic
from skinterval.interop import fhir
from skinterval.patients.models import Patient
from skinterval.photos.models import Photo
from skinterval.photos.queries import photo_bytes

from .fhir_checks import assert_no_embedded_bytes, check_bundle, check_resources


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.DEMO_MODE = True
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"
    call_command("seed_demo", verbosity=0)


def test_every_demo_patient_exports_a_valid_bundle(seeded):
    exporters = {
        "harbour": t.make_api_client(User.objects.get(username="alice")),
        "northside": t.make_api_client(User.objects.get(username="charlie")),
    }
    photo_prefixes = [
        base64.b64encode(photo_bytes(photo)).decode()[:100]
        for photo in Photo.objects.all()
    ]
    assert photo_prefixes
    seen: set[str] = set()
    patients = Patient.objects.select_related("clinic").order_by("pk")
    assert patients.count() > 40
    for patient in patients:
        client = exporters[patient.clinic.slug]
        response = client.get(
            reverse("fhir:patient_everything", kwargs={"patient_id": patient.pk})
        )
        assert response.status_code == 200, patient.chart_number
        body = response.content.decode()
        bundle = json.loads(body)
        resources = check_bundle(bundle)
        assert resources[("Patient", str(patient.pk))]["identifier"][0]["value"] == (
            patient.chart_number
        )
        assert_no_embedded_bytes(bundle)
        assert not any(prefix in body for prefix in photo_prefixes)
        seen |= {kind for kind, _ in resources}
    # The demo has plans, bookings, scores, photos and photo consents (it charts
    # no sessions: Procedure is covered by test_fhir_views.py).
    assert seen >= set(fhir.RESOURCE_TYPES) - {"Procedure"}


def test_bulk_export_of_the_demo_clinic(seeded, tmp_path):
    out = tmp_path / "export"
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "export_fhir", clinic="harbour", out=str(out), stdout=stdout, stderr=stderr
    )

    harbour = Clinic.objects.get(slug="harbour")
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted(p.name for p in out.glob("*.ndjson"))
    assert files == sorted(item["url"] for item in manifest["output"])
    resources = []
    for item in manifest["output"]:
        lines = (out / item["url"]).read_text(encoding="utf-8").splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == item["type"]
            resources.append(resource)
    found = check_resources(resources)
    assert_no_embedded_bytes(resources)

    patient_ids = {rid for kind, rid in found if kind == "Patient"}
    assert patient_ids == {
        str(pk)
        for pk in Patient.objects.filter(clinic=harbour).values_list("pk", flat=True)
    }
    northside = Patient.objects.filter(clinic__slug="northside")
    body = "\n".join(p.read_text() for p in out.glob("*.ndjson"))
    for patient in northside:
        assert str(patient.pk) not in body
        assert patient.chart_number not in body

    total = len(patient_ids)
    assert f"{total}/{total} patients" in stderr.getvalue()
    assert "Patient.ndjson" in stdout.getvalue()
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
