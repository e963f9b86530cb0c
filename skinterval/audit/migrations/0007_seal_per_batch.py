"""Seals per batch: events are never updated any more.

A seal (`audit_auditseal`) covers a range of events with one hash; new events
leave their own hash columns empty, so those columns' unique indexes become
partial (a new event adds no entry to them). On PostgreSQL the trigger of
audit_auditevent goes back to refusing every UPDATE and DELETE (the one change
it allowed, sealing a row, is gone), and audit_auditseal gets the same trigger
(docs/decisions/0012-audit-log.md, "A seal per batch").
"""

import importlib

from django.db import migrations, models

_0005 = importlib.import_module("skinterval.audit.migrations.0005_seal_after_commit")
SEALS = "audit_auditseal"
SEAL_TRIGGER = "audit_seal_append_only"


def refuse_every_change(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_0005.REFUSE_ALL_FUNCTION)
    schema_editor.execute(
        f"CREATE TRIGGER {SEAL_TRIGGER} BEFORE UPDATE OR DELETE ON {SEALS} "
        f"FOR EACH ROW EXECUTE FUNCTION {_0005.FUNCTION}()"
    )


def allow_the_row_seal(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {SEAL_TRIGGER} ON {SEALS}")
    schema_editor.execute(_0005.SEAL_ONLY_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_fewer_indexes"),
        ("clinics", "0002_time_off_closures_and_holidays"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "position",
                    models.PositiveBigIntegerField(
                        unique=True, verbose_name="place in the chain"
                    ),
                ),
                (
                    "after_id",
                    models.PositiveBigIntegerField(
                        verbose_name="covers events after id"
                    ),
                ),
                (
                    "up_to_id",
                    models.PositiveBigIntegerField(
                        verbose_name="covers events up to id"
                    ),
                ),
                (
                    "event_count",
                    models.PositiveIntegerField(verbose_name="events covered"),
                ),
                ("event_digests", models.TextField(verbose_name="events' digests")),
                (
                    "prev_hash",
                    models.CharField(
                        max_length=64, verbose_name="previous link's hash"
                    ),
                ),
                (
                    "seal_hash",
                    models.CharField(max_length=64, verbose_name="this seal's hash"),
                ),
                ("sealed_at", models.DateTimeField(verbose_name="sealed at (UTC)")),
            ],
            options={
                "verbose_name": "audit seal",
                "verbose_name_plural": "audit seals",
                "ordering": ["position"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="auditevent",
            name="audit_prev_hash_unique",
        ),
        migrations.RemoveConstraint(
            model_name="auditevent",
            name="audit_row_hash_unique",
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="chain_position",
            field=models.PositiveBigIntegerField(
                blank=True, null=True, verbose_name="place in the chain"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("prev_hash__isnull", False)),
                fields=("prev_hash",),
                name="audit_prev_hash_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("row_hash__isnull", False)),
                fields=("row_hash",),
                name="audit_row_hash_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("chain_position__isnull", False)),
                fields=("chain_position",),
                name="audit_chain_position_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditseal",
            constraint=models.UniqueConstraint(
                fields=("prev_hash",), name="audit_seal_prev_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditseal",
            constraint=models.CheckConstraint(
                condition=models.Q(("up_to_id__gt", models.F("after_id"))),
                name="audit_seal_range_not_empty",
            ),
        ),
        migrations.RunPython(refuse_every_change, allow_the_row_seal),
    ]
