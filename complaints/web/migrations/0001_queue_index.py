"""A covering index for the work queue: open complaints by unit and nearest deadline.

The branch queue reads its page straight from it (no sort), and the queue's summary counts
(open / overdue / urgent) become an index-only scan. PostgreSQL only (partial index with
INCLUDE); development on SQLite does without.
"""

from django.db import migrations

OPEN = "('accepted', 'verifying', 'answered', 'follow_up')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS complaint_open_queue ON complaints_complaint "
        f"(unit_id, next_deadline, id) INCLUDE (priority) WHERE status IN {OPEN}"
    )
    # The all-units queue (agents, supervisors): its summary counts read only this index.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS complaint_open_summary ON complaints_complaint "
        f"(next_deadline) INCLUDE (priority) WHERE status IN {OPEN}"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS complaint_open_queue")
    schema_editor.execute("DROP INDEX IF EXISTS complaint_open_summary")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_attachments")]

    operations = [migrations.RunPython(create, drop)]
