"""Reading what a client sends: the API and the pages refuse the same things the same way.

Nothing a client sends may cause a 500: every value is checked for its type and range here,
and a problem becomes a field error with a Chinese message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from kernel.errors import InvalidInput

from .services import RulingInput

MAX_ID = 2**63 - 1
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
RULING_FIELDS = (
    "verdict",
    "stage",
    "unit",
    "person",
    "no_fault_cause",
    "reason",
    "replies",
    "attachments",
    "current_ruling",
)


def refuse_unknown_fields(data: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """`data` as a mapping, refusing non-objects and keys we do not know (a typo is not ignored)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(_("请求体应为 JSON 对象。"))
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise InvalidInput(
            _("请求包含未知字段。"), field_errors={key[:50]: _("未知字段") for key in unknown[:20]}
        )
    return data


def parse_id(value: Any, field: str, errors: dict, *, label: str) -> int | None:
    """A positive id as a JSON number or a string of digits; None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = _("%(label)s无效。") % {"label": label}
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        errors[field] = _("%(label)s无效。") % {"label": label}
        return None
    return value


def parse_choice(value: Any, field: str, errors: dict, choices, *, label: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in choices:
        errors[field] = _("%(label)s无效。") % {"label": label}
        return ""
    return value


def _list(value: Any) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def parse_ruling(data: Mapping[str, Any], *, getlist=None) -> RulingInput:
    """A RulingInput from JSON or a form (`getlist` reads a form's repeated fields)."""
    from .models import NoFaultCause, Stage, Verdict

    errors: dict = {}
    verdict = parse_choice(data.get("verdict"), "verdict", errors, Verdict.values, label="判责结果")
    if not verdict and "verdict" not in errors:
        errors["verdict"] = _("请选择判责结果（有责、部分有责或无责）。")
    stage = parse_choice(data.get("stage"), "stage", errors, Stage.values, label="责任环节")
    cause = parse_choice(
        data.get("no_fault_cause"), "no_fault_cause", errors, NoFaultCause.values, label="无责原因"
    )
    unit = parse_id(data.get("unit"), "unit", errors, label="责任单位")
    person = parse_id(data.get("person"), "person", errors, label="责任人")
    replies_raw = getlist("replies") if getlist else _list(data.get("replies"))
    tokens_raw = getlist("attachments") if getlist else _list(data.get("attachments"))
    replies = []
    for value in replies_raw[:50]:
        pk = parse_id(value, "replies", errors, label="答复")
        if pk is not None:
            replies.append(pk)
    tokens = []
    for value in tokens_raw[:50]:
        if not isinstance(value, str) or not TOKEN.match(value):
            errors["attachments"] = _("证据附件无效。")
            continue
        tokens.append(value)
    if len(replies_raw) > 50 or len(tokens_raw) > 50:
        errors["evidence"] = _("判责依据最多选择50项。")
    reason = data.get("reason")
    check_seen = "current_ruling" in data
    seen = parse_id(data.get("current_ruling"), "current_ruling", errors, label="当前判责")
    return RulingInput(
        verdict=verdict,
        reason=reason if isinstance(reason, str) else ("" if reason is None else reason),
        stage=stage,
        unit_id=unit,
        person_id=person,
        no_fault_cause=cause,
        reply_ids=tuple(replies),
        attachment_tokens=tuple(tokens),
        seen_ruling_id=seen,
        check_seen=check_seen,
        errors=errors,
    )


def parse_month(value: Any, *, default: date) -> date:
    """ "YYYY-MM" → the first day of that month; blank → `default`'s month."""
    if value is None or value == "":
        return default.replace(day=1)
    match = MONTH.match(value) if isinstance(value, str) else None
    if match is None or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        message = _("月份格式应为 YYYY-MM，例如 2026-11。")
        raise InvalidInput(message, field_errors={"month": message})
    return date(int(match[1]), int(match[2]), 1)
