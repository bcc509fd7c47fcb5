"""Seed the carrier policy presets as rows on every migrate (idempotent; never overwrites)."""

from __future__ import annotations

from django.db import transaction

from .policies import DEFAULT_PRESET_CODE, PRESETS


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
