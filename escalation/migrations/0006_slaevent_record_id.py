"""An SLA event names the feature's record by id (record_id), not by a key to compensation.

escalation runs the timers that features register (complaints.hooks.timed_records) without
knowing their tables: the foreign key to compensation's claims is dropped and the column
renamed; its values and its index stay.
"""

from django.db import migrations, models

DROP_FOREIGN_KEY = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.conname FROM pg_constraint c
    WHERE c.contype = 'f' AND c.conrelid = 'escalation_slaevent'::regclass
      AND c.confrelid = 'compensation_claim'::regclass
  LOOP
    EXECUTE format('ALTER TABLE escalation_slaevent DROP CONSTRAINT %I', r.conname);
  END LOOP;
END $$;
"""


def drop_foreign_key(apps, schema_editor):
    # SQLite (development) keeps its table definitions: it has no ALTER … DROP CONSTRAINT.
    if schema_editor.connection.vendor == "postgresql":
        # Without parameters, so that format()'s %I reaches PostgreSQL as written.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_FOREIGN_KEY)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0005_outbox_moves_to_kernel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_foreign_key, migrations.RunPython.noop),
                migrations.RunSQL(
                    "ALTER TABLE escalation_slaevent RENAME COLUMN claim_id TO record_id",
                    "ALTER TABLE escalation_slaevent RENAME COLUMN record_id TO claim_id",
                ),
            ],
            state_operations=[
                migrations.RemoveField(model_name="slaevent", name="claim"),
                migrations.AddField(
                    model_name="slaevent",
                    name="record_id",
                    field=models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="关联记录"
                    ),
                ),
            ],
        ),
    ]
