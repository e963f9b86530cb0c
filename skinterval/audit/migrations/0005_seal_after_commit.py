"""Rows are inserted unsealed and sealed just after their transaction commits.

The hash columns become nullable, `chain_position` records the order rows were
sealed in (existing rows: their id order), and the PostgreSQL trigger now allows
exactly one change: sealing a row that has no hash yet, with every other column
unchanged. Everything else is still refused (docs/decisions/0012-audit-log.md).
"""

from django.db import migrations, models

TABLE = "audit_auditevent"
FUNCTION = "audit_event_refuse_change"
TRIGGER = "audit_event_append_only"
CONTENT_COLUMNS = (
    "id",
    "occurred_at",
    "actor_user_id",
    "actor_role",
    "clinic_id",
    "action",
    "object_type",
    "object_id",
    "source_ip",
    "row_count",
)

SEAL_ONLY_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.row_hash IS NULL AND OLD.prev_hash IS NULL "
    "AND OLD.chain_position IS NULL AND NEW.row_hash IS NOT NULL "
    "AND NEW.prev_hash IS NOT NULL AND NEW.chain_position IS NOT NULL "
    f"AND ROW({', '.join('NEW.' + c for c in CONTENT_COLUMNS)}) "
    f"IS NOT DISTINCT FROM ROW({', '.join('OLD.' + c for c in CONTENT_COLUMNS)}) "
    "THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'the audit log is append-only: %% refused', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; "
    "END; $$ LANGUAGE plpgsql"
)
REFUSE_ALL_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
    "BEGIN "
    "RAISE EXCEPTION 'the audit log is append-only: %% refused', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; "
    "END; $$ LANGUAGE plpgsql"
)


def number_existing_rows(apps, schema_editor):
    """Rows written before this migration were sealed in id order."""
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    schema_editor.execute(
        f"UPDATE {TABLE} SET chain_position = numbered.position "  # noqa: S608
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS position "
        f"FROM {TABLE}) AS numbered WHERE {TABLE}.id = numbered.id"
    )
    if postgres:
        schema_editor.execute(SEAL_ONLY_FUNCTION)
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def refuse_every_change(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE_ALL_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_login_security_actions")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="previous row's hash",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(
                blank=True,
                max_length=64,
                null=True,
                unique=True,
                verbose_name="this row's hash",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_position",
            field=models.PositiveBigIntegerField(
                blank=True, null=True, unique=True, verbose_name="place in the chain"
            ),
        ),
        migrations.RunPython(number_existing_rows, refuse_every_change),
    ]
