"""Turn what a client sends (JSON from the API, strings from a form) into checked values.

One parser for both interfaces, so the API and the claim panel refuse the same things with the
same Chinese messages. Every problem is reported against the field it came from; nothing a
client sends may raise anything but InvalidInput.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kernel.errors import InvalidInput

from .amounts import MAX_MONEY, ClaimFacts, Incident, Service, validate_facts

MONEY_FIELDS = ("insured_amount", "full_value", "actual_loss", "freight", "addon_fees")
BOOL_FIELDS = (
    "insured",
    "force_majeure",
    "goods_nature_or_sender_fault",
    "carrier_gross_negligence",
    "limit_clause_shown",
    "value_evidence",
    "international",
    "remote_area",
)
# 邮政法 art. 49 (registered mail): when the item was posted and when the user queried it.
DATE_FIELDS = ("posted_on", "queried_on")
FACT_FIELDS = ("service", "incident", *MONEY_FIELDS, "delay_days", *BOOL_FIELDS, *DATE_FIELDS)
# Defaults of the optional facts (ClaimFacts' own); value_evidence is ours, not the issue's.
BOOL_DEFAULTS = {name: name == "value_evidence" for name in BOOL_FIELDS}
MAX_DELAY_DAYS = 3650
DATE_LABELS = {"posted_on": _lazy("交寄日期"), "queried_on": _lazy("查询日期")}

_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no", ""}
_POLICY_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
# Control characters (NUL above all) are refused: PostgreSQL cannot store NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Override:
    """A proposer's own amount instead of the engine's, with the reason (kept in the audit)."""

    amount: Decimal
    reason: str


class FieldErrors(dict):
    """field → Chinese message; `raise_if_any` turns them into one InvalidInput."""

    def raise_if_any(self, message: str | None = None) -> None:
        if self:
            message = message or _("提交的赔偿信息有误，请修改后重试。")
            raise InvalidInput(message, field_errors=dict(self))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_money(value: Any, field: str, errors: FieldErrors) -> Decimal | None:
    """Parse yuan as a decimal string or a JSON number; None when blank."""
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        errors[field] = _('应为金额（如 "12.50"）')
        return None
    try:
        # Through str, so a JSON float like 12.5 becomes exactly 12.5.
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = _('应为金额（如 "12.50"）')
        return None
    if not amount.is_finite():
        errors[field] = _("应为有效金额")
    elif amount < 0:
        errors[field] = _("金额不能为负数")
    elif amount > MAX_MONEY:
        errors[field] = _("金额超出合理范围")
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("金额最多两位小数（精确到分）")
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def parse_bool(value: Any, field: str, errors: FieldErrors, *, default: bool) -> bool:
    """Parse a JSON boolean or a form's checkbox / select value."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    errors[field] = _("应为 true 或 false")
    return default


def parse_int(value: Any, field: str, errors: FieldErrors, *, maximum: int) -> int:
    """Parse a whole number ≥ 0 (JSON integer or digits); blank is 0."""
    if _blank(value):
        return 0
    if isinstance(value, bool):
        errors[field] = _("应为整数")
        return 0
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        errors[field] = _("应为整数")
        return 0
    if number < 0:
        errors[field] = _("不能为负数")
    elif number > maximum:
        errors[field] = _("不能超过%(maximum)s") % {"maximum": maximum}
    else:
        return number
    return 0


def parse_text(
    value: Any, field: str, errors: FieldErrors, *, label: str, max_len: int, required: bool
) -> str:
    """Parse free text: trimmed, no control characters, at most max_len characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("%(label)s应为文字") % {"label": label}
        return ""
    text = value.strip()
    if _CONTROL.search(text):
        errors[field] = _("%(label)s含有不可见的控制字符") % {"label": label}
    elif required and not text:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(text) > max_len:
        errors[field] = _("%(label)s不能超过%(max_len)s个字") % {"label": label, "max_len": max_len}
    else:
        return text
    return ""


def parse_date(
    value: Any, field: str, errors: FieldErrors, *, label: str, required: bool = True
) -> date | None:
    """Parse an ISO date (YYYY-MM-DD); blank is an error when required, else None."""
    if _blank(value):
        if required:
            errors[field] = _("请填写%(label)s") % {"label": label}
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        errors[field] = _("%(label)s格式应为 YYYY-MM-DD") % {"label": label}
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = _("%(label)s不是有效日期") % {"label": label}
        return None


def parse_policy_code(value: Any, errors: FieldErrors) -> str | None:
    """Return the policy code a client named, or None for the company default."""
    if _blank(value):
        return None
    if not isinstance(value, str) or not _POLICY_CODE.match(value.strip()):
        errors["policy"] = _("赔偿规则编码无效")
        return None
    return value.strip()


def parse_facts(data: Mapping[str, Any], errors: FieldErrors) -> ClaimFacts | None:
    """Parse and check the facts of a claim; add every problem to `errors`, return None then.

    Checks the fields one by one, then against each other (rules.validate_facts: partial damage
    larger than the value, an insured amount without insurance, …).
    """
    service = data.get("service")
    if _blank(service):
        errors["service"] = _("请选择业务类型")
    elif not isinstance(service, str) or service not in frozenset(Service):
        errors["service"] = _("未知的业务类型")
    incident = data.get("incident")
    if _blank(incident):
        errors["incident"] = _("请选择事件类型")
    elif not isinstance(incident, str) or incident not in frozenset(Incident):
        errors["incident"] = _("未知的事件类型")
    money = {name: parse_money(data.get(name), name, errors) for name in MONEY_FIELDS}
    if money["freight"] is None and "freight" not in errors:
        errors["freight"] = _("请填写资费（服务费）")
    flags = {
        name: parse_bool(data.get(name), name, errors, default=BOOL_DEFAULTS[name])
        for name in BOOL_FIELDS
    }
    delay_days = parse_int(data.get("delay_days"), "delay_days", errors, maximum=MAX_DELAY_DAYS)
    dates = {
        name: parse_date(data.get(name), name, errors, label=DATE_LABELS[name], required=False)
        for name in DATE_FIELDS
    }
    if errors:
        return None
    facts = ClaimFacts(
        service=Service(service),
        incident=Incident(incident),
        insured_amount=money["insured_amount"],
        full_value=money["full_value"],
        actual_loss=money["actual_loss"],
        freight=money["freight"],
        addon_fees=money["addon_fees"] if money["addon_fees"] is not None else Decimal("0.00"),
        delay_days=delay_days,
        **flags,
        **dates,
    )
    errors.update(validate_facts(facts))
    return None if errors else facts


def refuse_unknown_fields(data: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """Return `data` as a mapping, refusing non-objects and keys we do not know.

    A typo such as "insured_ammount" must not be silently ignored: it would change the amount.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput(_("请求体应为 JSON 对象。"))
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise InvalidInput(
            _("请求包含未知字段。"), field_errors={key[:50]: _("未知字段") for key in unknown[:20]}
        )
    return data


def parse_override(data: Mapping[str, Any], errors: FieldErrors) -> Override | None:
    """The proposer's own amount and its reason, both or neither."""
    amount = parse_money(data.get("override_amount"), "override_amount", errors)
    reason = parse_text(
        data.get("override_reason"),
        "override_reason",
        errors,
        label=_("调整理由"),
        max_len=2000,
        required=False,
    )
    if amount is None:
        if reason and "override_amount" not in errors:
            errors["override_amount"] = _("填写了调整理由，请同时填写调整后的金额")
        return None
    if not reason and "override_reason" not in errors:
        errors["override_reason"] = _("调整赔偿金额必须填写理由")
    return Override(amount=amount, reason=reason)


@dataclass(frozen=True)
class Proposal:
    """A claim proposal as the panel's form and the API both take it."""

    facts: ClaimFacts | None
    policy_code: str | None
    override: Override | None
    note: str


def parse_proposal(data: Mapping[str, Any]) -> Proposal:
    """Parse a proposal; every field's error at once (InvalidInput), else the parsed values."""
    errors = FieldErrors()
    code = parse_policy_code(data.get("policy"), errors)
    facts = parse_facts(data, errors)
    override = parse_override(data, errors)
    note = parse_text(
        data.get("note"), "note", errors, label=_("申请说明"), max_len=2000, required=False
    )
    errors.raise_if_any()
    return Proposal(facts=facts, policy_code=code, override=override, note=note)
