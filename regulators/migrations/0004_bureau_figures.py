# The State Post Bureau's figures (issue 23): parcel volume, the problem-type mapping (seeded
# with regulators.bureau.DEFAULT_MAPPING) and the published industry averages.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def seed_mapping(apps, schema_editor):
    from regulators.bureau import DEFAULT_MAPPING

    mapping = apps.get_model("regulators", "ProblemTypeMapping")
    for category, problem_type in DEFAULT_MAPPING.items():
        mapping.objects.get_or_create(
            category=category, defaults={"problem_type": problem_type.value}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_urgent_since_and_phrase_kinds"),
        ("regulators", "0003_appeal_regulator_received_on"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IndustryAverage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "period",
                    models.CharField(
                        help_text="如 2026-11、2026-Q4 或 2026",
                        max_length=8,
                        unique=True,
                        verbose_name="周期",
                    ),
                ),
                (
                    "appeal_rate",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=8,
                        null=True,
                        verbose_name="申诉率（件/百万件）",
                    ),
                ),
                (
                    "effective_appeal_rate",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=8,
                        null=True,
                        verbose_name="有效申诉率（件/百万件）",
                    ),
                ),
                (
                    "satisfaction",
                    models.DecimalField(
                        blank=True,
                        decimal_places=1,
                        max_digits=4,
                        null=True,
                        verbose_name="有效申诉处理满意率（%）",
                    ),
                ),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="来源")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "行业平均水平",
                "verbose_name_plural": "行业平均水平",
                "ordering": ["-period"],
            },
        ),
        migrations.CreateModel(
            name="ProblemTypeMapping",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("delay", "延误"),
                            ("loss", "丢失"),
                            ("damage", "损毁"),
                            ("short", "内件短少"),
                            ("misdelivery", "误投/虚假签收"),
                            ("attitude", "服务态度"),
                            ("fee", "收费"),
                            ("other", "其他"),
                        ],
                        max_length=16,
                        unique=True,
                        verbose_name="投诉类别",
                    ),
                ),
                (
                    "problem_type",
                    models.CharField(
                        choices=[
                            ("delay", "延误"),
                            ("loss_short", "丢失短少"),
                            ("damage", "损毁"),
                            ("delivery", "投递服务"),
                            ("pickup", "收寄服务"),
                            ("illegal_fee", "违规收费"),
                            ("cod", "代收货款"),
                            ("other", "其他"),
                        ],
                        max_length=16,
                        verbose_name="监管问题类型",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "监管问题类型对照",
                "verbose_name_plural": "监管问题类型对照",
                "ordering": ["category"],
            },
        ),
        migrations.CreateModel(
            name="ParcelVolume",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(help_text="当月1日", verbose_name="月份")),
                (
                    "province",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("BJ", "北京"),
                            ("TJ", "天津"),
                            ("HE", "河北"),
                            ("SX", "山西"),
                            ("NM", "内蒙古"),
                            ("LN", "辽宁"),
                            ("JL", "吉林"),
                            ("HL", "黑龙江"),
                            ("SH", "上海"),
                            ("JS", "江苏"),
                            ("ZJ", "浙江"),
                            ("AH", "安徽"),
                            ("FJ", "福建"),
                            ("JX", "江西"),
                            ("SD", "山东"),
                            ("HA", "河南"),
                            ("HB", "湖北"),
                            ("HN", "湖南"),
                            ("GD", "广东"),
                            ("GX", "广西"),
                            ("HI", "海南"),
                            ("CQ", "重庆"),
                            ("SC", "四川"),
                            ("GZ", "贵州"),
                            ("YN", "云南"),
                            ("XZ", "西藏"),
                            ("SN", "陕西"),
                            ("GS", "甘肃"),
                            ("QH", "青海"),
                            ("NX", "宁夏"),
                            ("XJ", "新疆"),
                            ("SPB", "国家邮政局"),
                        ],
                        max_length=4,
                        verbose_name="省份",
                    ),
                ),
                ("parcels", models.PositiveBigIntegerField(verbose_name="业务量（件）")),
                (
                    "source",
                    models.CharField(
                        choices=[("admin", "后台录入"), ("import", "文件导入"), ("api", "接口")],
                        max_length=8,
                        verbose_name="来源",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="complaints.unit",
                        verbose_name="单位",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="录入人",
                    ),
                ),
            ],
            options={
                "verbose_name": "业务量",
                "verbose_name_plural": "业务量",
                "ordering": ["-month", "unit", "province"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "unit", "province"),
                        name="one_volume_per_month_scope",
                        nulls_distinct=False,
                        violation_error_message="该月份该范围的业务量已存在",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)),
                        name="volume_month_first_day",
                        violation_error_message="月份须为当月1日",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("unit__isnull", True), ("province", ""), _connector="OR"
                        ),
                        name="volume_unit_or_province",
                        violation_error_message="业务量按单位或按省份录入，不可同时指定",
                    ),
                ],
            },
        ),
        migrations.RunPython(seed_mapping, migrations.RunPython.noop),
    ]
