"""`manage.py export_fhir`: refusals, and what an export of a small clinic holds."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from skinterval.audit.models import AuditEvent

from .fhir_checks import check_resources


def _export(slug, out):
    stdout, stderr = StringIO(), StringIO()
    call_command("export_fhir", clinic=slug, out=str(out), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_unknown_clinic_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No clinic"):
        _export("nowhere", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_with_files_in_it_is_refused_and_left_alone(world_a, tmp_path):
    (tmp_path / "Patient.ndjson").write_text("keep me\n")
    with pytest.raises(CommandError, match="not empty"):
        _export(world_a.clinic.slug, tmp_path)
    assert (tmp_path / "Patient.ndjson").read_text() == "keep me\n"
    assert not (tmp_path / "manifest.json").exists()


def test_a_file_is_not_a_folder(world_a, tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(CommandError, match="not a folder"):
        _export(world_a.clinic.slug, target)


def test_export_of_one_clinic_holds_only_its_rows(world_a, world_b, tmp_path):
    out = tmp_path / "a"
    stdout, stderr = _export(world_a.clinic.slug, out)

    lines = [
        json.loads(line)
        for path in sorted(out.glob("*.ndjson"))
        for line in path.read_text().splitlines()
    ]
    found = check_resources(lines)
    assert {rid for kind, rid in found if kind == "Patient"} == {
        str(world_a.patient.pk),
        str(world_a.other_patient.pk),
    }
    staff = {rid for kind, rid in found if kind == "Practitioner"}
    assert str(world_a.practitioner.pk) in staff
    assert str(world_b.practitioner.pk) not in staff
    assert "2/2 patients" in stderr
    assert "Exported 2 patients" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert {item["type"]: item["count"] for item in manifest["output"]}["Patient"] == 2
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.object_type == "clinics.clinic"
    assert event.object_id == str(world_a.clinic.pk)
    assert event.actor_role == "system"
