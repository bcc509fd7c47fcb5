"""When the customer rated (issue 19 §5); earlier ratings take the time of their audit row."""

from django.db import migrations, models

# The last "rate" row of each rated complaint's append-only trail says when it was given.
BACKFILL = """
UPDATE complaints_complaint c SET rated_at = t.at
FROM (
    SELECT complaint_id, max(at) AS at FROM complaints_complainttransition
    WHERE transition = 'rate' GROUP BY complaint_id
) t
WHERE t.complaint_id = c.id AND c.rating IS NOT NULL AND c.rated_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_evidence_usage"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="rated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="评价时间"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
    ]
