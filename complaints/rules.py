"""Pure business rules of the complaint loop, next to the procedure they come from.

No Django imports: these take plain values and return plain values, so they read as the rule
and test as a table. Source: seed 001 (the Guangzhou 投诉闭环 procedure) unless noted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Default phrase lists; supervisors edit the live lists (complaints.Phrase) in the admin.

# seed 001 §(五)1: "不能用“我局正常发出”、“已妥投”之类的模糊简单回复".
DEFAULT_VAGUE_REPLIES = (
    "我局正常发出",
    "正常发出",
    "已妥投",
    "已经妥投",
    "差不多妥投",
    "正常投递",
    "已投递",
    "已处理",
    "已解决",
    "已核实",
    "情况属实",
    "按规定处理",
    "无异常",
)

# seed 001 §(二)4(1): the customer threatens to go to the authorities, the police, the media
# or court.
DEFAULT_URGENT_THREATS = (
    "12305",
    "12315",
    "12345",
    "信访",
    "上访",
    "报警",
    "110",
    "公安",
    "派出所",
    "媒体",
    "记者",
    "曝光",
    "电视台",
    "起诉",
    "法院",
    "律师",
    "仲裁",
    "消协",
    "省公司",
    "集团公司",
    "邮政管理局",
)

# seed 001 §(二)4(6): urgent contents such as ID documents and valuables.
DEFAULT_URGENT_CONTENTS = (
    "证照",
    "身份证",
    "护照",
    "港澳通行证",
    "驾驶证",
    "户口本",
    "毕业证",
    "学位证",
    "录取通知书",
    "签证",
    "贵重",
    "黄金",
    "首饰",
    "珠宝",
    "手表",
    "现金",
    "药品",
)

# --- Structured reply (回复要素) -----------------------------------------------------------

REPLY_PARTS = {
    "basic_facts": "基本情况",
    "handling": "处理经过",
    "result": "处理结果",
}
# Shortest text that can carry facts; "已妥投。" is not a reply.
MIN_PART_LENGTH = {"basic_facts": 10, "handling": 10, "result": 4}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _meaningful(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


def reply_problems(parts: dict[str, str], vague_phrases: Iterable[str]) -> dict[str, str]:
    """Return a Chinese message per reply part that is missing, too thin or only a vague phrase.

    seed 001 §(五)1: a reply must carry 基本情况, 处理经过 and 处理结果, objectively and with
    facts; vague answers such as “我局正常发出” or “已妥投” are refused. A part that is nothing
    but vague phrases (and punctuation) is refused even when long enough.
    """
    phrases = sorted(
        {_meaningful(p) for p in vague_phrases if _meaningful(p)}, key=len, reverse=True
    )
    problems: dict[str, str] = {}
    for field, label in REPLY_PARTS.items():
        text = _meaningful(parts.get(field, ""))
        if not text:
            problems[field] = f"请填写“{label}”。"
            continue
        rest = text
        used = []
        for phrase in phrases:
            if phrase in rest:
                used.append(phrase)
                rest = rest.replace(phrase, "")
        if used and len(rest) < 4:
            problems[field] = f"“{label}”不能只写“{used[0]}”这类模糊答复，" + _HINTS[field]
        elif len(text) < MIN_PART_LENGTH[field]:
            problems[field] = f"“{label}”过于简单，" + _HINTS[field]
    return problems


_HINTS = {
    "basic_facts": "请写明事实经过：收寄/封发/投递时间、邮件状态、签收人等。",
    "handling": "请写明由谁、何时、以何种方式联系客户，采取了哪些措施。",
    "result": "请写明问题是否已解决、客户是否满意或认可。",
}


# --- Urgent (重大、紧急) --------------------------------------------------------------------


def urgent_reasons(
    *,
    text: str,
    threat_words: Iterable[str],
    contents_words: Iterable[str],
    key_account: bool,
    urgent_contents: bool,
    chase_count: int,
    chase_limit: int,
    cluster_count: int,
    cluster_size: int,
) -> list[str]:
    """Return every reason, in Chinese, that makes a complaint urgent (seed 001 §(二)4).

    An empty list means a general complaint. cluster_count counts complaints for the same unit
    and category within the window, this one included.
    """
    reasons = []
    normalized = unicodedata.normalize("NFKC", text or "")
    threats = [w for w in threat_words if w and w in normalized]
    if threats:
        # (1) the customer says they will go to the authorities, police, media or court.
        reasons.append(f"客户表示将向外部渠道反映（{'、'.join(threats[:3])}）")
    if key_account:
        # (3)(4) key-account, important or sensitive customers.
        reasons.append("大客户或重要敏感客户")
    contents = [w for w in contents_words if w and w in normalized]
    if urgent_contents or contents:
        # (6) urgent contents: ID documents, valuables.
        what = f"（{'、'.join(contents[:3])}）" if contents else ""
        reasons.append(f"涉及证照或贵重物品{what}")
    if chase_count >= chase_limit:
        # seed 001 §(五)1 投诉跟进回复: a general complaint chased a second time becomes urgent.
        reasons.append(f"客户第{chase_count}次催促")
    if cluster_count >= cluster_size:
        # (7) several customers complaining about the same problem in a short time.
        reasons.append(f"短期内同一单位同类投诉{cluster_count}宗")
    return reasons


# --- Justified (有理由投诉) -----------------------------------------------------------------


def is_justified(*, facts_confirmed: bool, our_fault: bool, obstructed: bool) -> bool:
    """Decide whether a complaint is justified (有理由投诉, seed 001 §(二)5).

    (1) the complaint is true and the problem is our fault or responsibility; or
    (2) not the unit's fault, but it did not cooperate or let the handling slip so that the
        complaint escalated.
    """
    return (facts_confirmed and our_fault) or obstructed
