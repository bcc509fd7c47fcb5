"""When a complaint became urgent (issue 18), and two new phrase lists.

urgent_since: the urgent targets count from the moment a complaint turned urgent, not from its
acceptance. Complaints that are urgent (or external) already keep the deadlines they have: they
count as urgent since acceptance. The phrase lists gain evasive replies (推诿用语, seeds 003/004)
and demands for an immediate answer (seed 001 §(二)4(5)); their defaults are added after migrate
(complaints.roles.ensure_default_phrases).
"""

from django.db import migrations, models

BACKFILL = (
    "UPDATE complaints_complaint SET urgent_since = accepted_at "
    "WHERE priority = 'urgent' OR is_external"
)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0007_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="urgent_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="转为紧急时间"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="phrase",
            name="kind",
            field=models.CharField(
                choices=[
                    ("vague_reply", "模糊答复用语"),
                    ("evasive_reply", "推诿用语（答复中一律不得出现）"),
                    ("urgent_threat", "紧急：投诉升级/外部渠道用语"),
                    ("urgent_demand", "紧急：强烈要求立即答复用语"),
                    ("urgent_contents", "紧急：证照/贵重物品用语"),
                ],
                max_length=24,
                verbose_name="类别",
            ),
        ),
    ]
