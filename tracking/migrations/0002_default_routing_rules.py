"""The default 智能分单 rules, once: afterwards they are the supervisors' to edit."""

from django.db import migrations


def add_rules(apps, schema_editor):
    from tracking.seeding import ensure_default_rules

    ensure_default_rules(apps.get_model("tracking", "RoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
