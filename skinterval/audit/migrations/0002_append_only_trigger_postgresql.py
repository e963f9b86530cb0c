"""Make the audit table append-only in PostgreSQL itself.

A row trigger refuses every UPDATE and DELETE of audit_auditevent, whoever sends
it (the application, a console, a script): only INSERT remains. TRUNCATE is left
alone on purpose: the test runner empties tables with TRUNCATE between
transactional tests. A database owner can still disable the trigger, so the
production set-up also revokes UPDATE/DELETE from the application's role and ships
copies of the log elsewhere (docs/audit.md); the hash chain finds what slips by.
SQLite has no such trigger here: there the model refuses changes and
`verify_chain()` finds any made behind its back.
"""

from django.db import migrations

TABLE = "audit_auditevent"
FUNCTION = "audit_event_refuse_change"
TRIGGER = "audit_event_append_only"


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
        "BEGIN "
        "RAISE EXCEPTION 'the audit log is append-only: %% refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; "
        "END; $$ LANGUAGE plpgsql"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_events")]
    operations = [migrations.RunPython(add_trigger, drop_trigger)]
