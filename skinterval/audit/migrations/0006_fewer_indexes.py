"""Audit events keep only the indexes something uses: the unique hashes lose
the second `LIKE` index PostgreSQL gives a unique CharField, and the clinic its
own index (`audit_clinic_at` starts with it). Every insert and seal is cheaper."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_seal_after_commit"),
        ("clinics", "0002_time_off_closures_and_holidays"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="clinics.clinic",
                verbose_name="clinic",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, verbose_name="previous row's hash"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, verbose_name="this row's hash"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("prev_hash",), name="audit_prev_hash_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("row_hash",), name="audit_row_hash_unique"
            ),
        ),
    ]
