"""The intake's field rules stated on the model (issue 26 §1): the serializer and form read them.

Pure AlterField: the phone column widens from 20 to 30 characters (as typed, with separators;
PostgreSQL widens a varchar without rewriting the table); the others change only Django's
validation (TextField max_length, MinValueValidator) and a label.
"""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0013_normalise_stored_numbers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaint",
            name="complainant_name",
            field=models.CharField(max_length=50, verbose_name="投诉人姓名"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="declared_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="申报价值",
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="demand_detail",
            field=models.TextField(blank=True, max_length=2000, verbose_name="诉求说明"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="description",
            field=models.TextField(max_length=5000, verbose_name="投诉内容"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="freight",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="资费",
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="insured_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="保价金额",
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="phone",
            field=models.CharField(
                help_text="手机号或带区号的固定电话", max_length=30, verbose_name="联系电话"
            ),
        ),
    ]
