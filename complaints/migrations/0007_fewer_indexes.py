"""Fewer indexes on the complaint table: every submission writes each of them.

Dropped, because another index already serves every query that used them: the unit foreign
key's own index (the queue, cluster and keyset indexes lead with unit_id), the partial
open-complaints-by-deadline index (complaint_open_summary has the same key and predicate, with
the priority included), and the two `varchar_pattern_ops` copies Django adds for LIKE 'x%' on
ticket_no and tracking_no (looked up by equality only; the unique and plain indexes stay).
"""

from django.db import migrations, models

PATTERN_INDEXES = {
    # name: column (created by 0001_initial on PostgreSQL only)
    "complaints_complaint_ticket_no_9c2a5651_like": "ticket_no",
    "complaints_complaint_tracking_no_72bc5265_like": "tracking_no",
}


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PATTERN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in PATTERN_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON complaints_complaint "
            f"({column} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0006_ticket_number_sequences"),
        ("complaints_web", "0001_queue_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="complaint", name="complaint_open_deadline"),
        migrations.AlterField(
            model_name="complaint",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="complaints",
                to="complaints.unit",
                verbose_name="责任单位",
            ),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
