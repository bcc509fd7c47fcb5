"""有理由投诉率 over 有效投诉 (complaints.figures), breaches dated by their deadline.

The justified rate's denominator is now the `handled` column the rollup already holds, so the
judged-only count goes. Breaches were dated by the sweep's run: the days where that differs
from the deadline's day are marked for the refresher to recompute (both days change).
"""

from django.db import migrations

TZ = "Asia/Shanghai"


def mark_redated_breach_days(apps, schema_editor):
    events = apps.get_model("escalation", "SlaEvent")._meta.db_table
    marks = apps.get_model("complaints_dashboard", "DirtyMark")._meta.db_table
    due = f"(due_at AT TIME ZONE '{TZ}')::date"
    fired = f"(fired_at AT TIME ZONE '{TZ}')::date"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {marks} (day, slot, marked_at) "
            f"SELECT DISTINCT day, 0, now() FROM ("
            f"  SELECT {due} AS day, {fired} AS other FROM {events} WHERE kind = 'breach'"
            f"  UNION ALL SELECT {fired}, {due} FROM {events} WHERE kind = 'breach'"
            ") AS d WHERE day <> other "
            "ON CONFLICT (day, slot) DO UPDATE SET marked_at = EXCLUDED.marked_at"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints_dashboard", "0003_dirty_marks"),
        ("escalation", "0007_breach_deadline_index"),
    ]

    operations = [
        migrations.RemoveField(model_name="dailyrollup", name="justified_decided"),
        migrations.RemoveField(model_name="monthlyrollup", name="justified_decided"),
        migrations.RunPython(mark_redated_breach_days, migrations.RunPython.noop),
    ]
