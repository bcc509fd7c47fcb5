"""On every migrate: seed the carrier policy presets as rows, and give the roles their claim
permissions (both idempotent; edits by supervisors are never overwritten)."""

from __future__ import annotations

from django.db import transaction

from .carrier_policies import DEFAULT_PRESET_CODE, PRESETS


def ensure_preset_policies(**kwargs) -> None:
    """Add any missing preset as a policy row; make the default preset the company default
    when no row is the default. Rows a supervisor edited or switched off are left alone."""
    from .models import CompensationPolicy

    with transaction.atomic():
        existing = set(CompensationPolicy.objects.values_list("code", flat=True))
        for code, preset in PRESETS.items():
            if code in existing:
                continue
            CompensationPolicy.objects.create(
                code=code,
                name=preset.name,
                insured_payout=preset.insured_payout.value,
                partial_damage=preset.partial_damage.value,
                uninsured_cap_multiple=preset.uninsured_cap_multiple,
                deemed_lost_after_days=preset.deemed_lost_after_days,
                review_cap_cut_share=preset.review_cap_cut_share,
                based_on=code,
            )
        if not CompensationPolicy.objects.filter(is_default=True).exists():
            CompensationPolicy.objects.filter(code=DEFAULT_PRESET_CODE, is_active=True).update(
                is_default=True
            )


def grant_claim_permissions(**kwargs) -> None:
    """Add the compensation permissions of complaints.roles.ROLE_PERMISSIONS to the role groups.

    Added, not set: other apps (escalation) add their own permissions to the same groups.
    """
    from django.contrib.auth.models import Group, Permission

    from complaints.roles import GROUP_NAMES, ROLE_PERMISSIONS

    perms = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="compensation")
    }
    for role, names in ROLE_PERMISSIONS.items():
        wanted = [perms.get(n.split(".", 1)[1]) for n in names if n.startswith("compensation.")]
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.add(*(p for p in wanted if p is not None))
