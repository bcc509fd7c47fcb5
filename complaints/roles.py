"""Roles as Django groups, and who may do what (SPEC §1).

The table below is the single source: a migration signal makes the groups and gives them these
permissions, and the services check the permission with user.has_perm(). Branch staff are in
addition limited to their own unit's complaints (services.authorize).
"""

from __future__ import annotations

from django.db.models.signals import post_migrate, post_save

from .models import Role

# Group name per role, as shown in the admin.
GROUP_NAMES = {
    Role.AGENT: "客服坐席",
    Role.BRANCH: "网点人员",
    Role.SUPERVISOR: "质量监控主管",
    Role.PARTNER: "接口合作方",
}

# Permission codenames per role: plain names are app complaints', others say "app.codename".
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.AGENT: (
        "add_complaint",
        "view_complaint",
        "dispatch_complaint",
        "contact_customer",
        "pause_complaint",
        "follow_up_complaint",
        "reject_complaint",
        "withdraw_complaint",
        "set_priority",
        "escalate_complaint",
        "note_complaint",
        "view_personal_data",
        # Claims (SPEC §5): an agent approves up to the threshold; compensation.services decides.
        "compensation.view_claim",
        "compensation.propose_claim",
        "compensation.approve_small_claim",
        "compensation.pay_claim",
        # Fault rulings (issue 22): agents rule; rulings.apps adds these after its migrate.
        "rulings.view_ruling",
        "rulings.rule_complaint",
        "rulings.view_dispute",
    ),
    Role.BRANCH: (
        "view_complaint",
        "contact_customer",
        "pause_complaint",
        "reply_complaint",
        "note_complaint",
        "view_personal_data",
        "compensation.view_claim",
        "compensation.propose_claim",
        # Rulings against their unit, its ledger and scorecard, and its disputes (issue 22).
        "rulings.view_ruling",
        "rulings.view_dispute",
        "rulings.file_dispute",
        "rulings.view_ledgerentry",
        "rulings.view_scorecard",
    ),
    Role.SUPERVISOR: (
        # Regulator appeals (issue 7); added to the group by regulators.apps after its migrate.
        "regulators.view_appeal",
        "regulators.register_appeal",
        "regulators.handle_appeal",
        "regulators.export_regulator_statistics",
        "regulators.view_appealevent",
        "regulators.view_appealreminder",
        # The bureau's figures (issue 23): volumes, the problem-type mapping, industry averages.
        "regulators.view_parcelvolume",
        "regulators.add_parcelvolume",
        "regulators.change_parcelvolume",
        "regulators.view_problemtypemapping",
        "regulators.change_problemtypemapping",
        "regulators.view_industryaverage",
        "regulators.add_industryaverage",
        "regulators.change_industryaverage",
        "add_complaint",
        "view_complaint",
        "dispatch_complaint",
        "contact_customer",
        "pause_complaint",
        "reply_complaint",
        "follow_up_complaint",
        "reject_complaint",
        "withdraw_complaint",
        "set_priority",
        "escalate_complaint",
        "note_complaint",
        "view_personal_data",
        "view_unit",
        "view_staffprofile",
        "view_complainttransition",
        "view_personaldataaccess",
        "view_phrase",
        "add_phrase",
        "change_phrase",
        "add_unit",
        "change_unit",
        "compensation.view_claim",
        "compensation.view_claimevent",
        "compensation.propose_claim",
        "compensation.approve_claim",
        "compensation.approve_small_claim",
        "compensation.pay_claim",
        "compensation.view_compensationpolicy",
        "compensation.add_compensationpolicy",
        "compensation.change_compensationpolicy",
        "rulings.view_ruling",
        "rulings.rule_complaint",
        "rulings.view_dispute",
        "rulings.decide_dispute",
        "rulings.view_ledgerentry",
        "rulings.view_scorecard",
        "rulings.export_scorecard",
        "rulings.view_assessmentrule",
        "rulings.add_assessmentrule",
        "rulings.change_assessmentrule",
        "rulings.view_assessmentruleline",
        "rulings.add_assessmentruleline",
        "rulings.change_assessmentruleline",
    ),
    Role.PARTNER: ("add_complaint",),
}


def ensure_groups(**kwargs) -> None:
    """Create the role groups and set their permissions to exactly the table above."""
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        names = [c if "." in c else f"complaints.{c}" for c in codenames]
        group.permissions.set([perms[n] for n in names if n in perms])


def ensure_default_phrases(**kwargs) -> None:
    """Add the default phrase lists (seed 001); supervisors switch phrases off, never delete."""
    from . import rules
    from .models import Phrase

    defaults = (
        (Phrase.Kind.VAGUE_REPLY, rules.DEFAULT_VAGUE_REPLIES),
        (Phrase.Kind.EVASIVE_REPLY, rules.DEFAULT_EVASIVE_REPLIES),
        (Phrase.Kind.URGENT_THREAT, rules.DEFAULT_URGENT_THREATS),
        (Phrase.Kind.URGENT_DEMAND, rules.DEFAULT_URGENT_DEMANDS),
        (Phrase.Kind.URGENT_CONTENTS, rules.DEFAULT_URGENT_CONTENTS),
    )
    existing = set(Phrase.objects.values_list("kind", "text"))
    Phrase.objects.bulk_create(
        Phrase(kind=kind, text=text)
        for kind, texts in defaults
        for text in texts
        if (kind, text) not in existing
    )


def sync_user_group(sender, instance, **kwargs) -> None:
    """Keep a user's role group in step with the role on their staff profile."""
    from django.contrib.auth.models import Group

    user = instance.user
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=GROUP_NAMES[instance.role]))
    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[instance.role])
    user.groups.add(group)
    # has_perm() caches per user object; drop the cache so the new role takes effect now.
    for attr in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(attr, None)


def connect_signals() -> None:
    from django.apps import apps

    from .models import StaffProfile

    post_migrate.connect(
        ensure_groups, sender=apps.get_app_config("complaints"), dispatch_uid="complaint-roles"
    )
    post_migrate.connect(
        ensure_default_phrases,
        sender=apps.get_app_config("complaints"),
        dispatch_uid="complaint-default-phrases",
    )
    post_save.connect(sync_user_group, sender=StaffProfile, dispatch_uid="staff-role-group")


def role_of(user) -> str | None:
    """Return the role of a staff user, or None for users without a staff profile."""
    profile = getattr(user, "staff", None)
    return profile.role if profile else None
