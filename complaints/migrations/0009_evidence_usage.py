from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_urgent_since_and_phrase_kinds"),
    ]

    operations = [
        migrations.CreateModel(
            name="EvidenceUsage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="日期")),
                (
                    "scope",
                    models.CharField(
                        choices=[("site", "全站"), ("address", "客户端地址")],
                        max_length=8,
                        verbose_name="范围",
                    ),
                ),
                ("key", models.CharField(blank=True, max_length=64, verbose_name="地址摘要")),
                ("files", models.PositiveIntegerField(default=0, verbose_name="文件数")),
                ("total_bytes", models.BigIntegerField(default=0, verbose_name="字节数")),
            ],
            options={
                "verbose_name": "证据用量",
                "verbose_name_plural": "证据用量",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "scope", "key"), name="evidence_usage_once"
                    )
                ],
            },
        ),
    ]
