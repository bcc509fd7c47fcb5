"""The all-units summary index covers every column a list filter reads (issue 20 §3).

The all-units queue counts its open complaints once per page: the summary, the 我的工单 /
未分配 tabs and one filtered Count per saved view, each filter any of complaints.filters'.
complaint_open_summary held only the priority beside the deadline, so those counts fetched
the heap once per open complaint (130 ms for 50,000 open at 1M, make bench-queue); rebuilt
with every column they read, the count is an index-only scan. The same name and key: no
second index on the table. PostgreSQL only (partial index with INCLUDE).
"""

from django.db import migrations

OPEN = "('accepted', 'verifying', 'answered', 'follow_up')"
COUNTED = (
    "id, priority, status, category, channel, handler_id, accepted_at, chase_count, "
    "repeat_count, repeat_of_id, is_escalated, is_external"
)


def _rebuild(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS complaint_open_summary")
    schema_editor.execute(
        "CREATE INDEX complaint_open_summary ON complaints_complaint "
        f"(next_deadline) INCLUDE ({include}) WHERE status IN {OPEN}"
    )


def widen(apps, schema_editor):
    _rebuild(schema_editor, COUNTED)


def narrow(apps, schema_editor):
    _rebuild(schema_editor, "priority")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints_web", "0001_queue_index"),
        ("complaints", "0012_assignment_and_saved_views"),
    ]

    operations = [migrations.RunPython(widen, narrow)]
