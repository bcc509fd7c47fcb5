"""Reply templates (答复口径) and call scripts (回访话术): placeholders and the phrase checks.

Pure: plain values in, plain values out. The reply checks themselves (seed 001 §(五)1, seeds
003/004) are complaints.rules.reply_problems; the services run them on a template as the reply
it would become, with SAMPLE_VALUES in the placeholders, so a template that teaches a vague or
evasive answer is refused exactly like the reply would be.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

# The placeholders a template may use, with what each stands for (shown in the admin's help).
PLACEHOLDERS: dict[str, str] = {
    "工单号": "工单号",
    "运单号": "运单号",
    "客户称呼": "客户的姓氏加“先生/女士”",
    "受理时间": "受理时间（北京时间）",
    "投诉类别": "投诉类别",
    "责任单位": "责任单位名称",
    "处理时限": "处理时限（北京时间）",
    "回访时限": "回访时限（北京时间）",
}

# A plausible complaint for checking a template as the text it becomes: the times look like the
# times a reply names (seed 001 §(五)1: 由谁何时、何地、何方式), so "{受理时间}" counts as a fact.
SAMPLE_VALUES: dict[str, str] = {
    "工单号": "TS202611160001",
    "运单号": "SF1234567890",
    "客户称呼": "测先生/女士",
    "受理时间": "11月16日10:00",
    "投诉类别": "延误",
    "责任单位": "测试营业部",
    "处理时限": "11月18日10:00",
    "回访时限": "11月19日10:00",
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Filled:
    """A template's text with the complaint's values, and the placeholders left for the person."""

    text: str
    unfilled: tuple[str, ...]


def placeholder_problem(text: str) -> str | None:
    """Return a Chinese message when `text` has an unknown placeholder or a stray brace."""
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            known = "、".join(f"{{{p}}}" for p in PLACEHOLDERS)
            return f"未知的占位符“{{{name}}}”，可用的占位符：{known}。"
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        return "花括号不成对：占位符的写法是 {运单号} 这样。"
    return None


def fill(text: str, values: Mapping[str, str]) -> Filled:
    """Put the values into the placeholders; one without a value stays as written, to be edited."""
    unfilled: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if values.get(name):
            return values[name]
        if name not in unfilled:
            unfilled.append(name)
        return match.group(0)

    return Filled(text=_PLACEHOLDER.sub(value, text), unfilled=tuple(unfilled))


def salutation(name: str) -> str:
    """How a reply addresses the customer: the surname only (SPEC §3 shows no more of a name)."""
    name = (name or "").strip()
    return f"{name[0]}先生/女士" if name else "客户"


def _meaningful(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


def text_problem(
    text: str,
    *,
    label: str,
    vague_phrases: Iterable[str],
    evasive_phrases: Iterable[str],
    has_fact: Callable[[str], object],
    min_length: int = 10,
) -> str | None:
    """The reply checks for one free text (a contact note, a follow-up script).

    The same rules as a reply part (complaints.rules.reply_problems): seeds 003/004 — an evasive
    phrase (推诿用语) is refused anywhere; seed 001 §(五)1(3) — a vague phrase is refused unless
    the text says a fact besides it (`has_fact`: a time, place, person or action).
    """
    meaningful = _meaningful(text)
    if not meaningful:
        return f"请填写“{label}”。"
    for phrase in sorted({_meaningful(p) for p in evasive_phrases} - {""}, key=len, reverse=True):
        if phrase in meaningful:
            return f"“{label}”含有推诿用语“{phrase}”，不得以任何借口推诿、拒绝或搪塞客户。"
    rest, used = meaningful, []
    for phrase in sorted({_meaningful(p) for p in vague_phrases} - {""}, key=len, reverse=True):
        if phrase in rest:
            used.append(phrase)
            rest = rest.replace(phrase, "")
    if used and (len(rest) < 4 or not has_fact(rest)):
        return f"“{label}”不能只写“{used[0]}”这类模糊答复，请写明时间、地点、人员或采取的措施。"
    if len(meaningful) < min_length:
        return f"“{label}”过于简单，请写明时间、地点、人员或采取的措施。"
    return None
