"""Pure business rules of the complaint loop, next to the procedure they come from.

No Django imports: these take plain values and return plain values, so they read as the rule
and test as a table. Source: seed 001 (the Guangzhou 投诉闭环 procedure) unless noted.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

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

# seeds 003 and 004 (服务用语): "禁止使用“不知道”“不归我管”“我也没办法”等推诿性语言", "严禁使用服务
# 忌语，如“不知道”、“没办法”、“这不归我管”、“你自己看着办”"; seed 001 §(五)1(2): "不得以任何借口
# 推诿、拒绝或搪塞客户". Refused wherever they appear in a reply.
DEFAULT_EVASIVE_REPLIES = (
    "不归我管",
    "没办法",
    "我也没办法",
    "不知道",
    "你找别人",
    "找别人去",
    "这不是我们的问题",
    "不是我们的问题",
    "你自己看着办",
    "与我们无关",
    "跟我们没关系",
    "不关我们的事",
)

# seed 001 §(二)4(1): the customer threatens to go to the authorities, the police, the media
# or court. Hotline numbers count only where they stand alone (see mentions).
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

# seed 001 §(二)4(5): "投诉人严峻不满、强烈要求立即答复" — and the usual ways of saying it. Any
# "要求…马上/立刻/立即…答复/处理/给说法" is caught by IMMEDIATE_DEMAND as well.
DEFAULT_URGENT_DEMANDS = (
    "强烈要求立即答复",
    "要求立即答复",
    "要求马上答复",
    "要求立刻答复",
    "要求立即处理",
    "要求马上处理",
    "要求立刻处理",
    "要求立即给说法",
    "要求马上给说法",
    "要求立刻给说法",
    "马上给个说法",
    "立刻给个说法",
    "立即给个说法",
)
IMMEDIATE_DEMAND = re.compile(
    r"要求[^。！？!?；;，,\n]{0,6}?(?:马上|立刻|立即|即刻|当即|当天|今天)"
    r"(?:给(?:我们?|个|一个|我个|我一个)?)?"
    r"(?:答复|回复|处理|解决|说法|交代|解释|回电)"
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

# --- Tracking numbers (运单号) ---------------------------------------------------------------

# The pattern a number must match is settings.COMPLAINTS["TRACKING_NO_PATTERN"] (declared there
# with its default: letters and digits, 2–40 of them).
# Spaces and dashes people and scanners put between the characters of a waybill number.
_TRACKING_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc]")


def normalize_tracking_no(raw: str) -> str:
    """Return a tracking number as stored and searched: NFKC, upper case, no spaces or dashes.

    NFKC turns full-width ＳＦ１２３ into SF123, so one waybill typed on a phone keyboard, scanned
    or pasted is one value: the same repeat (seed 001 §(二)3) and the same search hit.
    """
    return _TRACKING_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def is_valid_tracking_no(normalized: str, pattern: str) -> bool:
    """Tell whether a normalised tracking number has the carrier's shape (`pattern`, whole).

    ASCII letters and digits only whatever the pattern says: Python's \\w and \\d would also
    take letters and digits of other scripts, which no waybill carries.
    """
    return normalized.isascii() and re.fullmatch(pattern, normalized) is not None


# --- Structured reply (回复要素) -----------------------------------------------------------

REPLY_PARTS = {
    "basic_facts": "基本情况",
    "handling": "处理经过",
    "result": "处理结果",
}
# Shortest text that can carry facts; "已妥投。" is not a reply.
MIN_PART_LENGTH = {"basic_facts": 10, "handling": 10, "result": 4}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _meaningful(text: str | None) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))


# What a fact looks like in a reply part (seed 001 §(五)1: "要说明由谁何时、何地、何方式联系客户",
# times, waybill events, who signed): a time, a place, a person in a role, or an action taken.
FACT_MARKERS = re.compile(
    # a time: 11月16日, 10:30, 8点, 2026-11-16, 上午…
    r"\d{1,2}月\d{1,2}[日号]|\d{1,2}[:：]\d{2}|\d{1,2}[点时]|\d{4}[-/年]\d{1,2}"
    r"|上午|下午|晚上|凌晨|当日|当天|次日|昨日|昨天|今日|前日"
    # a place
    r"|网点|营业部|营业厅|分拨|转运|中心|驿站|快递柜|丰巢|门卫|收发室|传达室|物业|代收点|小区"
    r"|[路街巷道]\d|\d+号"
    # a person in a role
    r"|快递员|派件员|收派员|投递员|业务员|专员|客服|经理|主管|签收人|代收人|本人|家属|同事|工号"
    # an action taken
    r"|联系|致电|来电|回电|电话|短信|上门|核实|调取|调阅|监控|查验|补发|补寄|重新派送|重派|派送"
    r"|投递|收寄|封发|赔付|赔偿|退款|退还|致歉|道歉|协商|拦截|追回|找回|签收|认可|满意|接受|同意"
)


def _phrases(texts: Iterable[str]) -> list[str]:
    """The phrases as compared: normalised, longest first (then in text order), blanks dropped.

    The tie-break keeps the refusal naming the same phrase on every run (a set has no order).
    """
    return sorted({_meaningful(p) for p in texts if _meaningful(p)}, key=lambda p: (-len(p), p))


def reply_problems(
    parts: dict[str, str], vague_phrases: Iterable[str], evasive_phrases: Iterable[str] = ()
) -> dict[str, str]:
    """Return a Chinese message per reply part that is missing, too thin, vague or evasive.

    seed 001 §(五)1: a reply must carry 基本情况, 处理经过 and 处理结果, objectively and with
    facts; vague answers such as “我局正常发出” or “已妥投” are refused. A part with a vague
    phrase must say a fact besides (a time, place, person or action, FACT_MARKERS): “我局正常
    发出，已妥投，请客户自行查看物流信息” is refused. Seeds 003/004: an evasive phrase (推诿用语,
    “不归我管”, “没办法”…) is refused wherever it appears. Also used for reply templates.
    """
    vague = _phrases(vague_phrases)
    evasive = _phrases(evasive_phrases)
    problems: dict[str, str] = {}
    for field, label in REPLY_PARTS.items():
        text = _meaningful(parts.get(field))
        if not text:
            problems[field] = f"请填写“{label}”。"
            continue
        found = [phrase for phrase in evasive if phrase in text]
        if found:
            # seeds 003/004: 禁止使用推诿性语言, anywhere in the reply.
            problems[field] = (
                f"“{label}”含有推诿用语“{found[0]}”，不得以任何借口推诿、拒绝或搪塞客户，"
                + _HINTS[field]
            )
            continue
        rest = text
        used = []
        for phrase in vague:
            if phrase in rest:
                used.append(phrase)
                rest = rest.replace(phrase, "")
        if used and len(rest) < 4:
            problems[field] = f"“{label}”不能只写“{used[0]}”这类模糊答复，" + _HINTS[field]
        elif used and not FACT_MARKERS.search(rest):
            # seed 001 §(五)1(3): 杜绝模糊简单应付 — a vague phrase padded with words, no facts.
            problems[field] = (
                f"“{label}”除“{used[0]}”这类模糊答复外，没有写明时间、地点、人员或采取的措施，"
                + _HINTS[field]
            )
        elif len(text) < MIN_PART_LENGTH[field]:
            problems[field] = f"“{label}”过于简单，" + _HINTS[field]
    return problems


_HINTS = {
    "basic_facts": "请写明事实经过：收寄/封发/投递时间、邮件状态、签收人等。",
    "handling": "请写明由谁、何时、以何种方式联系客户，采取了哪些措施。",
    "result": "请写明问题是否已解决、客户是否满意或认可。",
}


# --- Urgent (重大、紧急) --------------------------------------------------------------------


# A number or Latin word stands alone when no digit or Latin letter touches it, and a number is
# no amount or quantity: "1100元", "110元", "12345.00" are not the hotlines 110 and 12345.
_ALNUM = "0-9A-Za-z"
_AMOUNT_AFTER = (
    r"(?:[.·]\d|\s?(?:元|块|圆|角|毛|件|斤|公斤|千克|克|kg|KG|天|日|号|个|次|小时|分钟|米|%))"
)
# Fixed-width look-behinds (Python's re): "¥110", "¥ 110".
_CURRENCY_BEFORE = r"(?<![¥$])(?<![¥$] )"


@functools.lru_cache(maxsize=1024)
def _word_pattern(word: str) -> re.Pattern[str]:
    """The pattern that finds `word` as a word: see mentions."""
    pattern = re.escape(word)
    if re.match(f"[{_ALNUM}]", word):
        pattern = f"(?<![{_ALNUM}]){_CURRENCY_BEFORE}{pattern}"
    if re.search(f"[{_ALNUM}]$", word):
        pattern = f"{pattern}(?![{_ALNUM}])"
        if word[-1].isdigit():
            pattern = f"{pattern}(?!{_AMOUNT_AFTER})"
    return re.compile(pattern)


def mentions(text: str, words: Iterable[str]) -> list[str]:
    """Return the words of `words` that `text` mentions as words, in list order.

    A word that begins or ends with a digit or Latin letter (12305, 110, "12345热线") must not
    touch another digit or Latin letter there, so a waybill (SF1234512305), a phone number
    (13812345678) or an amount (1100元, ¥110) mentions no hotline; a number followed by a unit or
    a decimal is a quantity. Chinese words are matched where they stand. Text is NFKC-normalised
    (full-width digits count as digits).
    """
    normalized = unicodedata.normalize("NFKC", text or "")
    found = []
    for word in words:
        word = unicodedata.normalize("NFKC", word or "").strip()
        if word and word not in found and _word_pattern(word).search(normalized):
            found.append(word)
    return found


def distinct_customers(phones: Iterable[str], own_phone: str) -> int:
    """Return how many customers complained: distinct phone numbers, the own one included.

    seed 001 §(二)4(7) "同一时刻或短期内多名客户投诉同类问题": one customer complaining three
    times is a repeat (重复投诉, §(二)3), not three customers.
    """
    return len({phone for phone in phones if phone} | {own_phone})


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
    demand_words: Iterable[str] = DEFAULT_URGENT_DEMANDS,
) -> list[str]:
    """Return every reason, in Chinese, that makes a complaint urgent (seed 001 §(二)4).

    An empty list means a general complaint. cluster_count counts the distinct customers
    (distinct_customers) who complained about the same unit and category within the window,
    this complaint's customer included.
    """
    reasons = []
    normalized = unicodedata.normalize("NFKC", text or "")
    threats = mentions(normalized, threat_words)
    if threats:
        # (1) the customer says they will go to the authorities, police, media or court.
        reasons.append(f"客户表示将向外部渠道反映（{'、'.join(threats[:3])}）")
    demands = mentions(normalized, demand_words)
    immediate = IMMEDIATE_DEMAND.search(normalized)
    if demands or immediate:
        # (5) severe dissatisfaction, demanding an immediate answer.
        said = demands[0] if demands else immediate.group(0)  # type: ignore[union-attr]
        reasons.append(f"客户强烈要求立即答复（{said}）")
    if key_account:
        # (3)(4) key-account, important or sensitive customers.
        reasons.append("大客户或重要敏感客户")
    contents = mentions(normalized, contents_words)
    if urgent_contents or contents:
        # (6) urgent contents: ID documents, valuables.
        what = f"（{'、'.join(contents[:3])}）" if contents else ""
        reasons.append(f"涉及证照或贵重物品{what}")
    if chase_count >= chase_limit:
        # seed 001 §(五)1 投诉跟进回复: a general complaint chased a second time becomes urgent.
        reasons.append(f"客户第{chase_count}次催促")
    if cluster_count >= cluster_size:
        # (7) several customers complaining about the same problem in a short time.
        reasons.append(f"短期内{cluster_count}名客户对同一单位同类问题投诉")
    return reasons


# --- Reopening (SPEC §2) --------------------------------------------------------------------


def reopen_window_open(*, closed_at: datetime | None, now: datetime, window_days: int) -> bool:
    """Return whether a closed complaint may still be reopened by its customer at `now`.

    SPEC §2: within the window (default 7 days) of closing, the very instant it ends included;
    after it, a new complaint linked to the old one is filed instead. No closing time: open.
    """
    return closed_at is None or now - closed_at <= timedelta(days=window_days)


# --- Justified (有理由投诉) -----------------------------------------------------------------


def is_justified(*, facts_confirmed: bool, our_fault: bool, obstructed: bool) -> bool:
    """Decide whether a complaint is justified (有理由投诉, seed 001 §(二)5).

    (1) the complaint is true and the problem is our fault or responsibility; or
    (2) not the unit's fault, but it did not cooperate or let the handling slip so that the
        complaint escalated.
    """
    return (facts_confirmed and our_fault) or obstructed
