"""The default 智能分单 rules (issue 21 §3), and the supervisors' rights to edit them.

Seeded once by migration 0002 (and for the demo by seed_demo): afterwards the rules are the
supervisors' to edit in the admin, and nothing here overwrites them.
"""

from __future__ import annotations

from . import journey_rules

# (position, name, categories, parties, requires_fact, target) — seed 000: delivery problems go
# to the delivering branch first; loss and damage in transit to the last unit that held it;
# pickup problems to the branch that collected it. Anything unmatched waits for an agent.
DEFAULT_RULES = (
    (10, "虚假签收/误投 → 签收网点", ["misdelivery"], [], "", journey_rules.DELIVERY_UNIT),
    (20, "投递延误 → 派件网点", ["delay"], [], "", journey_rules.DELIVERY_UNIT),
    (
        30,
        "投递服务态度 → 派件网点",
        ["attitude"],
        ["recipient", "agent"],
        "",
        journey_rules.DELIVERY_UNIT,
    ),
    (
        40,
        "运输途中丢失/损毁/短少 → 最后扫描单位",
        ["loss", "damage", "short"],
        [],
        "",
        journey_rules.LAST_UNIT,
    ),
    (50, "揽收服务态度 → 收件网点", ["attitude"], ["sender"], "", journey_rules.ORIGIN_UNIT),
    (60, "收费问题 → 收件网点", ["fee"], [], "", journey_rules.ORIGIN_UNIT),
)


def ensure_default_rules(rule_model) -> int:
    """Create the default rules when there are none at all; return how many were created."""
    if rule_model.objects.exists():
        return 0
    for position, name, categories, parties, fact, target in DEFAULT_RULES:
        rule_model.objects.create(
            position=position,
            name=name,
            categories=categories,
            parties=parties,
            requires_fact=fact,
            target=target,
            action=journey_rules.AUTO,
        )
    return len(DEFAULT_RULES)


# The supervisors edit the rules and read the rest (complaints.roles has the roles).
SUPERVISOR_PERMISSIONS = (
    "view_routingrule",
    "add_routingrule",
    "change_routingrule",
    "view_routingdecision",
    "view_journeyfact",
    "view_scanevent",
    "view_waybill",
    "view_pulljob",
    "view_breakerstate",
)


def grant_permissions(**kwargs) -> None:
    """Add this app's permissions to the supervisors' group (added, not set: others add too)."""
    from django.contrib.auth.models import Group, Permission

    from complaints.models import Role
    from complaints.roles import GROUP_NAMES

    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[Role.SUPERVISOR])
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tracking", codename__in=SUPERVISOR_PERMISSIONS
        )
    )
