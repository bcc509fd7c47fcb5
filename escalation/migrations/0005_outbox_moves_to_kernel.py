"""The outbox (Notification, Notice, WebhookEndpoint) moves to the kernel app; no data moves.

The tables keep their names (the kernel's models say so with db_table). What changes in the
database: the foreign keys from the outbox to complaints and SLA events are dropped, since the
kernel depends on no app; the columns and their indexes stay.
"""

from django.db import migrations

DROP_FOREIGN_KEYS = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.conname, c.conrelid::regclass AS tbl FROM pg_constraint c
    WHERE c.contype = 'f' AND (
      (c.conrelid = 'escalation_notification'::regclass
       AND c.confrelid IN ('complaints_complaint'::regclass, 'escalation_slaevent'::regclass))
      OR (c.conrelid = 'escalation_notice'::regclass
          AND c.confrelid = 'complaints_complaint'::regclass))
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;
END $$;
"""


def drop_foreign_keys(apps, schema_editor):
    # SQLite (development) keeps its table definitions: it has no ALTER … DROP CONSTRAINT.
    if schema_editor.connection.vendor == "postgresql":
        # Without parameters, so that format()'s %s and %I reach PostgreSQL as written.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_FOREIGN_KEYS)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_reference_data_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_foreign_keys, migrations.RunPython.noop),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name="notification",
                    name="complaint",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="endpoint",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="event",
                ),
                migrations.RemoveField(
                    model_name="notification",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="webhookendpoint",
                    name="partner",
                ),
                migrations.DeleteModel(
                    name="Notice",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="WebhookEndpoint",
                ),
            ],
        ),
    ]
