"""Dirty-day marks per writer slot (DirtyMark) instead of one row per day (DirtyDay).

One row per day was locked by every submission until its commit, so all submissions of a day
queued for it. Existing marks are carried over (slot 0), so no pending recompute is lost.
"""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    old = apps.get_model("complaints_dashboard", "DirtyDay")
    new = apps.get_model("complaints_dashboard", "DirtyMark")
    new.objects.bulk_create(
        [new(day=day, slot=0) for day in old.objects.values_list("day", flat=True)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints_dashboard", "0002_monthly_rollup"),
    ]

    operations = [
        migrations.CreateModel(
            name="DirtyMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("slot", models.PositiveSmallIntegerField(default=0)),
                ("marked_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "待重算日期",
                "verbose_name_plural": "待重算日期",
                "constraints": [
                    models.UniqueConstraint(fields=("day", "slot"), name="dashboard_mark_slot")
                ],
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="DirtyDay"),
    ]
