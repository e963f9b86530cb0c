"""Make double booking impossible in PostgreSQL itself.

One exclusion constraint per resource: no two non-cancelled appointments may have
overlapping half-open time ranges for the same practitioner, room, device or
patient. Resources are blocked including the service's buffers; the patient only
for the visit itself. btree_gist lets the `=` on an id share a GiST index with the
range overlap. SQLite has no exclusion constraints: there the booking service
re-checks overlaps inside a BEGIN IMMEDIATE transaction (see services.py).
"""

from django.db import migrations

CONSTRAINTS = [
    ("appointment_no_practitioner_overlap", "practitioner_id", "blocked"),
    ("appointment_no_room_overlap", "room_id", "blocked"),
    ("appointment_no_device_overlap", "device_id", "blocked"),
    ("appointment_no_patient_overlap", "patient_id", "visit"),
]
RANGES = {
    "blocked": "tstzrange(blocked_from_at, blocked_until_at, '[)')",
    "visit": "tstzrange(starts_at, ends_at, '[)')",
}
TABLE = "appointments_appointment"


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column, span in CONSTRAINTS:
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, {RANGES[span]} WITH &&) "
            f"WHERE (status <> 'cancelled' AND {column} IS NOT NULL)"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]
    operations = [migrations.RunPython(add_constraints, drop_constraints)]
