"""The SPEC §4 defaults as policy rows, and a first sweep look at existing open complaints."""

from decimal import Decimal

from django.db import migrations
from django.db.models.functions import Now

DEFAULTS = [
    # name, priority, first response h, resolution h, follow-up h, [(level, delay min, notify)]
    (
        "一般投诉（默认）",
        "normal",
        "24",
        "72",
        "24",
        [(1, "120", "unit_head"), (2, "1440", "supervisors")],
    ),
    (
        "重大紧急及外部投诉（默认）",
        "urgent",
        "2",
        "12",
        "2",
        [(1, "30", "unit_head"), (2, "120", "supervisors")],
    ),
]


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("escalation", "SlaPolicy")
    EscalationLevel = apps.get_model("escalation", "EscalationLevel")
    for name, priority, first, resolution, follow_up, levels in DEFAULTS:
        if SlaPolicy.objects.filter(priority=priority, channel="", is_active=True).exists():
            continue
        policy = SlaPolicy.objects.create(
            name=name,
            priority=priority,
            channel="",
            first_response_hours=Decimal(first),
            resolution_hours=Decimal(resolution),
            follow_up_hours=Decimal(follow_up),
        )
        for level, delay, notify in levels:
            EscalationLevel.objects.create(
                policy=policy, level=level, delay_minutes=Decimal(delay), notify=notify
            )
    # Complaints that existed before the sweep: look at each once (it reschedules them).
    Complaint = apps.get_model("complaints", "Complaint")
    Complaint.objects.filter(
        status__in=["accepted", "verifying", "answered", "follow_up"], sla_next_check__isnull=True
    ).update(sla_next_check=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_initial"),
        ("complaints", "0004_sla_next_check"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
