"""On every migrate: give the roles their ruling permissions, and start the rule book with one
example version when it is empty (supervisors edit it or add the next version in the admin)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

# An example to start from, not a regulation: the company sets its own figures (seed 002 §5).
EXAMPLE_VALID_FROM = date(2020, 1, 1)
EXAMPLE_LINES = (
    ("pickup", Decimal("30.00"), Decimal("1.0")),
    ("hub", Decimal("50.00"), Decimal("2.0")),
    ("transport", Decimal("50.00"), Decimal("2.0")),
    ("delivery", Decimal("50.00"), Decimal("2.0")),
    ("service", Decimal("20.00"), Decimal("1.0")),
)


def grant_ruling_permissions(**kwargs) -> None:
    """Add the rulings permissions of complaints.roles.ROLE_PERMISSIONS to the role groups."""
    from django.contrib.auth.models import Group, Permission

    from complaints.roles import GROUP_NAMES, ROLE_PERMISSIONS

    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="rulings")}
    for role, names in ROLE_PERMISSIONS.items():
        wanted = [perms.get(n.split(".", 1)[1]) for n in names if n.startswith("rulings.")]
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.add(*(p for p in wanted if p is not None))


def ensure_default_rule(**kwargs) -> None:
    """An example rule version when there is none at all; an edited book is left alone."""
    from .models import AssessmentRule, AssessmentRuleLine

    with transaction.atomic():
        if AssessmentRule.objects.exists():
            return
        rule = AssessmentRule.objects.create(
            name="示例考核规则",
            valid_from=EXAMPLE_VALID_FROM,
            amount_cap=Decimal("500.00"),
            points_cap=Decimal("10.0"),
            notes="系统初始示例，请质量监控主管按公司考核制度修改金额、分值与倍数。",
        )
        AssessmentRuleLine.objects.bulk_create(
            AssessmentRuleLine(rule=rule, stage=stage, amount=amount, points=points)
            for stage, amount, points in EXAMPLE_LINES
        )
