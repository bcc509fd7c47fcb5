"""Carrier compensation policies (保价规则 and contractual caps) as plain data.

Pure Python on purpose: the Django layer stores a policy as a row / JSON and rebuilds it with
`CarrierPolicy.from_dict`; the rules in `compensation.amounts` only ever see the dataclass.
A supervisor starts from one of the `PRESETS`, copies it (`preset.to_dict()`), edits and saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class InsuredPayout(StrEnum):
    """How an insured (保价) shipment is paid on loss or total damage."""

    INSURED_AMOUNT = "insured_amount"  # pay the insured amount
    PROVEN_VALUE_CAPPED = "proven_value_capped"  # pay the proven value, at most the insured amount


class PartialDamage(StrEnum):
    """How an insured shipment is paid on partial damage or short contents."""

    PROPORTIONAL = "proportional"  # actual loss × insured amount ÷ full value
    ACTUAL_LOSS_CAPPED = "actual_loss_capped"  # actual loss, at most the insured amount


class InvalidPolicy(ValueError):
    """A policy dict or field that cannot form a valid `CarrierPolicy`."""


def _to_decimal(value: Any, field: str) -> Decimal:
    """Convert a JSON-ish number or string to Decimal, going through str so floats stay exact."""
    if isinstance(value, bool):
        raise InvalidPolicy(f"{field}: 应为数字，而不是 {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidPolicy(f"{field}: 不是有效的数字：{value!r}") from exc
    if not result.is_finite():
        raise InvalidPolicy(f"{field}: 不是有效的数字：{value!r}")
    return result


@dataclass(frozen=True)
class CarrierPolicy:
    """One carrier's compensation policy; validated on construction (raises InvalidPolicy).

    `uninsured_cap_multiple` is the contractual cap for uninsured express shipments, as a multiple
    of the freight (None = no cap: pay the actual loss). It only binds when the limit clause was
    shown to the sender (民法典 arts. 496–497). `review_cap_cut_share` flags a quote for review
    when a cap cuts the payout by more than this share of the actual loss.
    """

    code: str
    name: str
    insured_payout: InsuredPayout
    partial_damage: PartialDamage
    uninsured_cap_multiple: Decimal | None
    deemed_lost_after_days: int = 7
    review_cap_cut_share: Decimal = Decimal("0.5")

    def __post_init__(self) -> None:
        # Normalise plain strings / numbers so a policy built by hand behaves like one from JSON.
        try:
            object.__setattr__(self, "insured_payout", InsuredPayout(self.insured_payout))
        except ValueError as exc:
            raise InvalidPolicy(f"insured_payout: 未知取值 {self.insured_payout!r}") from exc
        try:
            object.__setattr__(self, "partial_damage", PartialDamage(self.partial_damage))
        except ValueError as exc:
            raise InvalidPolicy(f"partial_damage: 未知取值 {self.partial_damage!r}") from exc
        if self.uninsured_cap_multiple is not None:
            cap = _to_decimal(self.uninsured_cap_multiple, "uninsured_cap_multiple")
            if cap <= 0:
                raise InvalidPolicy("uninsured_cap_multiple: 倍数必须大于0，不设上限请留空")
            object.__setattr__(self, "uninsured_cap_multiple", cap)
        share = _to_decimal(self.review_cap_cut_share, "review_cap_cut_share")
        if not Decimal(0) <= share <= Decimal(1):
            raise InvalidPolicy("review_cap_cut_share: 应在0到1之间")
        object.__setattr__(self, "review_cap_cut_share", share)
        if isinstance(self.deemed_lost_after_days, bool) or not isinstance(
            self.deemed_lost_after_days, int
        ):
            raise InvalidPolicy("deemed_lost_after_days: 应为整数天数")
        if self.deemed_lost_after_days < 1:
            raise InvalidPolicy("deemed_lost_after_days: 至少为1天")
        if not isinstance(self.code, str) or not self.code.strip():
            raise InvalidPolicy("code: 不能为空")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidPolicy("name: 不能为空")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CarrierPolicy:
        """Build a policy from a plain (JSON) dict; reject unknown keys so typos are not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidPolicy(f"未知字段：{', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:  # a required key is missing
            raise InvalidPolicy(f"缺少必填字段：{exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (Decimals as strings, enums as their values)."""
        cap = self.uninsured_cap_multiple
        return {
            "code": self.code,
            "name": self.name,
            "insured_payout": self.insured_payout.value,
            "partial_damage": self.partial_damage.value,
            "uninsured_cap_multiple": None if cap is None else str(cap),
            "deemed_lost_after_days": self.deemed_lost_after_days,
            "review_cap_cut_share": str(self.review_cap_cut_share),
        }


# Presets as data: carriers differ (the seeds mention 3–5 × freight for damage, up to 7 × for
# loss), so ship the common shapes and let a supervisor copy one and edit it.
PRESET_DATA: tuple[dict[str, Any], ...] = (
    {
        # Mirrors 邮政法 art. 47 for postal mail: insured amount, proportional, 3 × fee.
        "code": "insured_amount_3x",
        "name": "保价额赔付（部分损失按比例）+ 未保价3倍运费",
        "insured_payout": "insured_amount",
        "partial_damage": "proportional",
        "uninsured_cap_multiple": "3",
    },
    {
        "code": "proven_value_3x",
        "name": "实际价值不超过保价额 + 未保价3倍运费",
        "insured_payout": "proven_value_capped",
        "partial_damage": "actual_loss_capped",
        "uninsured_cap_multiple": "3",
    },
    {
        "code": "proven_value_5x",
        "name": "实际价值不超过保价额 + 未保价5倍运费",
        "insured_payout": "proven_value_capped",
        "partial_damage": "actual_loss_capped",
        "uninsured_cap_multiple": "5",
    },
    {
        "code": "proven_value_7x",
        "name": "实际价值不超过保价额 + 未保价7倍运费",
        "insured_payout": "proven_value_capped",
        "partial_damage": "actual_loss_capped",
        "uninsured_cap_multiple": "7",
    },
    {
        "code": "proven_value_no_cap",
        "name": "实际价值不超过保价额 + 未保价不设上限（按实际损失）",
        "insured_payout": "proven_value_capped",
        "partial_damage": "actual_loss_capped",
        "uninsured_cap_multiple": None,
    },
)

PRESETS: Mapping[str, CarrierPolicy] = MappingProxyType(
    {data["code"]: CarrierPolicy.from_dict(data) for data in PRESET_DATA}
)

# The default mirrors the statute for postal mail (邮政法 art. 47), the one rule set every
# carrier's customers already know; over-declared insured values are flagged for review anyway.
DEFAULT_PRESET_CODE = "insured_amount_3x"
DEFAULT_POLICY: CarrierPolicy = PRESETS[DEFAULT_PRESET_CODE]
