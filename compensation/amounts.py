"""Compensation rules (赔偿规则): shipment facts + carrier policy → amount, steps, review flags.

Pure Python, no Django: read it next to the regulations it implements (SPEC §5). Every step of a
quote names its source; anything the rules cannot decide is flagged for review, never guessed.

Invariants (proved with hypothesis in tests/compensation/test_rule_invariants.py):
- the amount is never negative and always has exactly two decimal places (yuan, ROUND_HALF_UP);
- the last step's amount is the quote's amount;
- insured (and not a delay refund) → never above the insured amount: every insured payout is
  the insured amount, a value capped at it, or actual loss × insured ÷ full value ≤ it — except
  postal mail whose limits 邮政法 art. 47 para. 2 sets aside, which pays the actual loss;
- never above the actual loss, except where the rule says so: a registered letter (3 × postage),
  the insured amount paid on total loss, and a delay refund (the freight);
- force majeure and uninsured → 0; the goods' own nature or the sender's fault → 0;
- ordinary mail without the carrier's intent or gross negligence → 0;
- monotonic: with all other facts equal, a larger actual loss never gives a smaller amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from typing import Any

from compensation.carrier_policies import CarrierPolicy, InsuredPayout, PartialDamage
from kernel.clock import WorkCalendar, day_period_last_day


class Service(StrEnum):
    EXPRESS = "express"  # 快件
    POSTAL_REGISTERED = "postal_registered"  # 给据邮件
    REGISTERED_LETTER = "registered_letter"  # 挂号信件 (a kind of 给据邮件)
    POSTAL_ORDINARY = "postal_ordinary"  # 平常邮件


class Incident(StrEnum):
    LOSS = "loss"  # 丢失
    TOTAL_DAMAGE = "total_damage"  # 全部损毁
    PARTIAL_DAMAGE = "partial_damage"  # 部分损毁
    SHORT = "short"  # 内件短少
    DELAY = "delay"  # 延误


class Basis(StrEnum):
    STATUTE = "statute"
    CARRIER_POLICY = "carrier_policy"
    CIVIL_LAW = "civil_law"


SERVICE_LABELS = {
    Service.EXPRESS: "快件",
    Service.POSTAL_REGISTERED: "给据邮件",
    Service.REGISTERED_LETTER: "挂号信件",
    Service.POSTAL_ORDINARY: "平常邮件",
}
INCIDENT_LABELS = {
    Incident.LOSS: "丢失",
    Incident.TOTAL_DAMAGE: "全部损毁",
    Incident.PARTIAL_DAMAGE: "部分损毁",
    Incident.SHORT: "内件短少",
    Incident.DELAY: "延误",
}
TOTAL_LOSS = frozenset({Incident.LOSS, Incident.TOTAL_DAMAGE})
# 给据邮件: the registered postal items 邮政法 arts. 47 and 49 speak of.
REGISTERED_MAIL = frozenset({Service.POSTAL_REGISTERED, Service.REGISTERED_LETTER})

# 邮政法 art. 49: a domestic item may be queried within 1 year of posting, an international one
# within 180 days; the post answers within 30 days, 60 for international items and the remote
# areas the postal administration designates. An item not found when that period ends is lost.
QUERY_WINDOW_INTERNATIONAL_DAYS = 180
REPLY_DAYS_DOMESTIC = 30
REPLY_DAYS_INTERNATIONAL_OR_REMOTE = 60

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Inputs are whole fen below this bound, so the one division (proportional payout) is exact enough
# at 28 digits to round half-up correctly: a non-tie lies ≥ 1/(2 × full value in fen) from a tie.
MAX_MONEY = Decimal("1000000000")  # ¥1 billion
MONEY_FIELDS = ("insured_amount", "full_value", "actual_loss", "freight", "addon_fees")

# Sources, as they appear in Step.source.
POSTAL_LAW_46 = "邮政法第四十六条"
POSTAL_LAW_47 = "邮政法第四十七条"
POSTAL_LAW_47_2 = "邮政法第四十七条第二款"
POSTAL_LAW_48 = "邮政法第四十八条"
POSTAL_LAW_49 = "邮政法第四十九条"
POSTAL_LAW_49_2 = "邮政法第四十九条第二款"
POSTAL_LAW_49_3 = "邮政法第四十九条第三款"
EXPRESS_REG_27 = "快递暂行条例第二十七条"
CIVIL_CODE_496_497 = "民法典第四百九十六条、第四百九十七条"
CIVIL_CODE_506 = "民法典第五百零六条"
CIVIL_CODE_590 = "民法典第五百九十条"
CIVIL_CODE_592 = "民法典第五百九十二条"
CIVIL_CODE_832 = "民法典第八百三十二条"
CIVIL_CODE_833 = "民法典第八百三十三条"
INSURANCE_LAW_55 = "参照保险法第五十五条（超额保价部分无效）"
INDUSTRY_DELAY = "快递服务行业标准及承运人服务条款（二级来源，非法律条文）"
TOTAL_LOSS_VALUE = "计算口径：丢失或全部损毁时，实际损失即物品全部价值"
MISSING_FACTS = "本系统：事实不全，待人工核定"


@dataclass(frozen=True, kw_only=True)
class ClaimFacts:
    """The facts of one claim; money in yuan as Decimal, whole fen.

    Fault facts default to False: in particular the carrier must show it displayed the
    liability-limit clause (民法典 art. 496), so `limit_clause_shown` is False unless recorded.
    """

    service: Service
    incident: Incident
    insured: bool
    insured_amount: Decimal | None = None
    full_value: Decimal | None = None  # the item's full value
    actual_loss: Decimal | None = None
    freight: Decimal  # this shipment's service fee / postage
    addon_fees: Decimal = ZERO  # insurance premium, packaging…: never refunded for a delay
    delay_days: int = 0
    force_majeure: bool = False
    goods_nature_or_sender_fault: bool = False
    carrier_gross_negligence: bool = False  # the carrier's intent or gross negligence
    limit_clause_shown: bool = False
    value_evidence: bool = True  # the customer has evidence of the value
    # 邮政法 art. 49, registered mail only: when it was posted and when the user queried it (or
    # claimed); international items and designated remote areas have longer periods.
    posted_on: date | None = None  # 交寄日期
    queried_on: date | None = None  # 查询日期
    international: bool = False  # 国际邮件
    remote_area: bool = False  # 国务院邮政管理部门规定的边远地区

    def __post_init__(self) -> None:
        # Accept the plain strings a form or JSON gives; unknown ones are left for validate_facts.
        for name, enum in (("service", Service), ("incident", Incident)):
            value = getattr(self, name)
            if isinstance(value, str) and value in frozenset(enum):
                object.__setattr__(self, name, enum(value))


@dataclass(frozen=True)
class Step:
    rule: str  # what was applied, in Chinese
    source: str  # e.g. "邮政法第四十七条"
    amount: Decimal  # the running amount after this step, 2 places


@dataclass(frozen=True)
class Quote:
    amount: Decimal
    steps: tuple[Step, ...]
    needs_review: bool
    review_reasons: tuple[str, ...]
    basis: Basis
    # The incident the rules applied: a delay deemed a loss is a loss (the claim's timers).
    applied_incident: Incident | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (money as strings)."""
        return {
            "amount": str(self.amount),
            "steps": [
                {"rule": s.rule, "source": s.source, "amount": str(s.amount)} for s in self.steps
            ],
            "needs_review": self.needs_review,
            "review_reasons": list(self.review_reasons),
            "basis": self.basis.value,
        }


class InvalidFacts(ValueError):
    """Facts that are bad or contradict each other; `errors` maps field → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate_facts(facts: ClaimFacts) -> dict[str, str]:
    """Return field → Chinese message for every bad or contradictory fact; empty when valid."""
    with localcontext(Context(prec=28)):
        return _find_errors(facts)


def _find_errors(facts: ClaimFacts) -> dict[str, str]:
    """Check the facts field by field, then against each other."""
    errors: dict[str, str] = {}
    if facts.service not in frozenset(Service):
        errors["service"] = "未知的业务类型"
    if facts.incident not in frozenset(Incident):
        errors["incident"] = "未知的事件类型"
    for name in MONEY_FIELDS:
        message = _money_error(getattr(facts, name), required=name in ("freight", "addon_fees"))
        if message:
            errors[name] = message
    if isinstance(facts.delay_days, bool) or not isinstance(facts.delay_days, int):
        errors["delay_days"] = "延误天数应为整数"
    elif facts.delay_days < 0:
        errors["delay_days"] = "延误天数不能为负数"
    elif facts.incident == Incident.DELAY and facts.delay_days == 0:
        errors["delay_days"] = "延误事件必须填写延误天数（大于0）"
    if errors:
        return errors  # the checks below compare values that are now known to be valid

    if facts.insured and facts.insured_amount is None:
        errors["insured_amount"] = "已保价但未填写保价金额"
    elif facts.insured and facts.insured_amount == 0:
        errors["insured_amount"] = "保价金额必须大于0"
    elif not facts.insured and facts.insured_amount is not None:
        errors["insured_amount"] = "未保价时不应填写保价金额"
    if facts.insured and facts.service == Service.POSTAL_ORDINARY:
        errors["insured"] = "平常邮件不办理保价，请改为给据邮件或取消保价"
    if facts.full_value == 0:
        errors["full_value"] = "物品价值必须大于0；价值不明请留空"
    elif facts.full_value is not None and (facts.actual_loss or 0) > facts.full_value:
        errors["actual_loss"] = "实际损失不能大于物品全部价值"
    for name in ("posted_on", "queried_on"):
        value = getattr(facts, name)
        if value is not None and (not isinstance(value, date) or hasattr(value, "hour")):
            errors[name] = "应为日期（YYYY-MM-DD）"
    if (
        "posted_on" not in errors
        and "queried_on" not in errors
        and facts.posted_on is not None
        and facts.queried_on is not None
        and facts.queried_on < facts.posted_on
    ):
        errors["queried_on"] = "查询日期不能早于交寄日期"
    return errors


def _dates_after_today(facts: ClaimFacts, today: date | None) -> dict[str, str]:
    """Return field → message for a posting or query date after `today`."""
    if today is None:
        return {}
    errors = {}
    if facts.posted_on is not None and facts.posted_on > today:
        errors["posted_on"] = "交寄日期不能晚于今天"
    if facts.queried_on is not None and facts.queried_on > today:
        errors["queried_on"] = "查询日期不能晚于今天"
    return errors


def quote(
    facts: ClaimFacts,
    policy: CarrierPolicy,
    *,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
) -> Quote:
    """Compute the compensation for `facts` under `policy`; raise InvalidFacts on bad facts.

    Postal services follow the statute; `policy` only sets the review share for them (its
    deemed-lost days are the express industry's: postal mail is lost by 邮政法 art. 49).
    Express follows the policy for insured items and civil law otherwise. `today` (Asia/Shanghai)
    judges art. 49's periods, counted on `calendar` (民法典 arts. 201, 203); without it a query
    period is taken as still running.
    """
    errors = validate_facts(facts) or _dates_after_today(facts, today)
    if errors:
        raise InvalidFacts(errors)
    sheet = _Worksheet(policy=policy)
    calendar = calendar or WorkCalendar()
    # Our own context: the caller's (precision, traps) must not change a payout.
    with localcontext(Context(prec=28)):
        incident: Incident | None = Incident(facts.incident)
        if facts.service in REGISTERED_MAIL:
            incident = _postal_query_rules(facts, sheet, today=today, calendar=calendar)
        elif facts.service == Service.EXPRESS:
            incident = _reclassify_long_delay(facts, policy, sheet)
        if incident is None:
            pass  # 邮政法 art. 49 para. 3: no liability; the step says why
        elif facts.service == Service.POSTAL_ORDINARY:
            _ordinary_mail(facts, incident, sheet)
        elif incident == Incident.DELAY:
            _delay_refund(facts, sheet)
        elif facts.service == Service.EXPRESS:
            _express(facts, incident, policy, sheet)
        else:
            _registered_mail(facts, incident, sheet)
        _flag_common(facts, sheet)
        amount = _money(sheet.running)
    return Quote(
        amount=amount,
        steps=tuple(sheet.steps),
        needs_review=bool(sheet.reasons),
        review_reasons=tuple(sheet.reasons),
        basis=sheet.basis,
        applied_incident=incident,
    )


# --- worksheet and helpers ------------------------------------------------------------------


@dataclass
class _Worksheet:
    """The quote under construction: running amount, steps and review reasons."""

    policy: CarrierPolicy
    basis: Basis = Basis.STATUTE
    running: Decimal = ZERO
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    used_value: bool = False  # the amount depends on the customer's stated value

    def step(self, rule: str, source: str, amount: Decimal | None = None) -> None:
        """Record a step; without `amount` it is a note and the running amount stays."""
        if amount is not None:
            self.running = amount
        self.steps.append(Step(rule=rule, source=source, amount=_money(self.running)))

    def review(self, reason: str) -> None:
        """Send the quote to human review for `reason` (once per reason)."""
        if reason not in self.reasons:
            self.reasons.append(reason)

    def missing(self, what: str) -> None:
        """Pay nothing yet and ask a human: the rule needs `what` and it is not known."""
        self.step(f"缺少{what}，暂计0元", MISSING_FACTS, ZERO)
        self.review(f"缺少{what}，规则无法计算赔偿金额，需人工核定")


def _money(amount: Decimal) -> Decimal:
    """Round to fen, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _yuan(amount: Decimal) -> str:
    """Format for a Chinese sentence: ¥1,000.00."""
    return f"¥{_money(amount):,}"


def _percent(share: Decimal) -> str:
    """Format 0.5 as 50%, 0.125 as 12.5% (no trailing zeros)."""
    return f"{(share * 100).normalize():f}%"


def _money_error(value: object, *, required: bool) -> str | None:
    """Return why `value` is not an acceptable amount, or None."""
    if value is None:
        return "必填" if required else None
    if not isinstance(value, Decimal) or not value.is_finite():
        return "应为有效金额（Decimal，不接受浮点数）"
    if value < 0:
        return "金额不能为负数"
    if value > MAX_MONEY:
        return "金额超出合理范围"
    if value % CENT != 0:
        return "金额最多两位小数（精确到分）"
    return None


def _insured_amount(facts: ClaimFacts) -> Decimal:
    """Return the insured amount of an insured claim."""
    if facts.insured_amount is None:  # validate_facts guarantees it; not an assert (-O)
        raise ValueError("insured_amount is required for an insured claim")
    return facts.insured_amount


def _actual_loss(facts: ClaimFacts, incident: Incident, sheet: _Worksheet) -> Decimal | None:
    """Return the actual loss; on loss or total damage fall back to the full value, else None."""
    if facts.actual_loss is not None:
        sheet.used_value = True
        return facts.actual_loss
    if incident in TOTAL_LOSS and facts.full_value is not None:
        sheet.used_value = True
        sheet.step(f"未填写实际损失：按物品全部价值{_yuan(facts.full_value)}计", TOTAL_LOSS_VALUE)
        return facts.full_value
    return None


def _limit_waived(facts: ClaimFacts, *, statute: bool) -> tuple[str, str] | None:
    """Return (why, source) when a liability limit may not be invoked, else None."""
    if facts.carrier_gross_negligence:
        source = POSTAL_LAW_47_2 if statute else CIVIL_CODE_506
        return "承运人存在故意或重大过失", source
    if not facts.limit_clause_shown:
        source = POSTAL_LAW_47_2 if statute else CIVIL_CODE_496_497
        return "未以足以引起注意的方式向寄件人提示限额条款", source
    return None


def _apply_freight_cap(
    facts: ClaimFacts,
    sheet: _Worksheet,
    *,
    loss: Decimal,
    multiple: Decimal,
    source: str,
    statute: bool,
) -> None:
    """Cap the running payout (the actual loss) at `multiple` × freight unless the cap is waived.

    Flags for review when the cap cuts more than the policy's share of the actual loss.
    """
    cap = multiple * facts.freight
    cap_rule = f"{multiple:f}倍运费（资费）限额{_yuan(cap)}"
    waived = _limit_waived(facts, statute=statute)
    if waived:
        why, waiver_source = waived
        sheet.step(f"{why}，{cap_rule}不适用：按实际损失赔偿", waiver_source)
        return
    if loss <= cap:
        sheet.step(f"实际损失未超过{cap_rule}", source)
        return
    sheet.step(f"适用{cap_rule}（已提示限额条款）", source, cap)
    share = sheet.policy.review_cap_cut_share
    if loss - cap > share * loss:
        sheet.review(
            f"限额将赔付从{_yuan(loss)}削减至{_yuan(cap)}，"
            f"削减超过实际损失的{_percent(share)}，需人工复核"
        )


def _proportional(facts: ClaimFacts, incident: Incident, sheet: _Worksheet, source: str) -> None:
    """Pay actual loss × insured amount ÷ full value, never more than the actual loss."""
    insured = _insured_amount(facts)
    loss = facts.actual_loss
    if loss is None or facts.full_value is None:
        sheet.missing("实际损失或物品全部价值（按比例赔偿需要两者）")
        return
    sheet.used_value = True
    label = INCIDENT_LABELS[incident]
    sheet.step(
        f"{label}按比例赔偿：实际损失{_yuan(loss)} × 保价额{_yuan(insured)}"
        f" ÷ 物品全部价值{_yuan(facts.full_value)}",
        source,
        loss * insured / facts.full_value,
    )
    if sheet.running > loss:  # over-declared: the ratio is above 1
        sheet.step("超额保价部分不予赔偿：以实际损失为限", INSURANCE_LAW_55, loss)


def _cap_at_insured(facts: ClaimFacts, sheet: _Worksheet, source: str) -> None:
    """Cap the running payout at the insured amount."""
    insured = _insured_amount(facts)
    if sheet.running > insured:
        sheet.step(f"以保价额{_yuan(insured)}为限", source, insured)


# --- delay ----------------------------------------------------------------------------------


def _reclassify_long_delay(facts: ClaimFacts, policy: CarrierPolicy, sheet: _Worksheet) -> Incident:
    """Return the incident to apply to express: a delay past the threshold becomes a loss."""
    incident = Incident(facts.incident)
    # Industry standard / carrier terms for express: a delay past the threshold (default 7 days)
    # is a loss. Postal mail has its own rule (邮政法 art. 49, _postal_query_rules).
    if incident == Incident.DELAY and facts.delay_days > policy.deemed_lost_after_days:
        sheet.step(
            f"延误{facts.delay_days}天，超过视为丢失期限{policy.deemed_lost_after_days}天：按丢失处理",
            INDUSTRY_DELAY,
        )
        return Incident.LOSS
    return incident


def _delay_refund(facts: ClaimFacts, sheet: _Worksheet) -> None:
    """Refund this shipment's service fee for a delay, never the add-on fees."""
    sheet.basis = Basis.CARRIER_POLICY
    if facts.force_majeure:
        # 民法典 art. 590: no liability for non-performance caused by force majeure.
        sheet.step("不可抗力造成的延误，不承担违约责任", CIVIL_CODE_590, ZERO)
        return
    if facts.goods_nature_or_sender_fault:
        # 民法典 art. 592 (the other party's fault) and carrier terms (e.g. a wrong address).
        sheet.step(
            "因物品本身原因或寄件人、收件人过错造成的延误，不予赔偿",
            f"{CIVIL_CODE_592}；{INDUSTRY_DELAY}",
            ZERO,
        )
        return
    # Industry standard / carrier terms (secondary source): refund the service fee only.
    sheet.step(
        f"延误{facts.delay_days}天：退还本次服务费{_yuan(facts.freight)}"
        f"（不含保价费等附加费用{_yuan(facts.addon_fees)}）",
        INDUSTRY_DELAY,
        facts.freight,
    )
    claimed = facts.actual_loss or ZERO
    if facts.carrier_gross_negligence and claimed > facts.freight:
        sheet.review("承运人存在故意或重大过失，客户主张的延误损失高于退还的服务费，需人工判断")


# --- postal ---------------------------------------------------------------------------------


def _query_window_last_day(facts: ClaimFacts, posted_on: date, calendar: WorkCalendar) -> date:
    """Return the last day the user may query a registered item (邮政法 art. 49 para. 1)."""
    if facts.international:
        # 180 days from posting; 民法典 arts. 201 and 203 count them.
        return day_period_last_day(posted_on, QUERY_WINDOW_INTERNATIONAL_DAYS, calendar=calendar)
    # One year from posting; 民法典 art. 202: a period in years ends on the same date of the
    # last year (29 February: the last day of February), art. 203: rolled past a rest day.
    try:
        last_day = posted_on.replace(year=posted_on.year + 1)
    except ValueError:
        last_day = date(posted_on.year + 1, 2, 28)
    if calendar.is_rest_day(last_day):
        last_day = calendar.next_working_day(last_day)
    return last_day


def _postal_query_rules(
    facts: ClaimFacts, sheet: _Worksheet, *, today: date | None, calendar: WorkCalendar
) -> Incident | None:
    """Apply 邮政法 art. 49 to registered mail: return the incident to pay, None for nothing.

    A delayed 给据邮件 is lost only when the query reply period has ended without finding it; a
    user who neither queried nor claimed within the query window has no claim at all.
    """
    incident = Incident(facts.incident)
    sheet.basis = Basis.STATUTE
    if facts.posted_on is not None and today is not None:
        window_end = _query_window_last_day(facts, facts.posted_on, calendar)
        queried_in_time = facts.queried_on is not None and facts.queried_on <= window_end
        if not queried_in_time and today > window_end:
            # 邮政法 art. 49 para. 3: no query and no claim within the window → no liability.
            window = "一百八十日" if facts.international else "一年"
            sheet.step(
                f"用户未在交寄之日起{window}内（至{_day(window_end)}）查询或提出赔偿要求，"
                "邮政企业不再承担赔偿责任",
                POSTAL_LAW_49_3,
                ZERO,
            )
            return None
    if incident != Incident.DELAY:
        return incident
    # 邮政法 art. 49 para. 2: a registered item is lost only when the reply period to the user's
    # query ends without finding it; the express industry's "N days late = lost" does not apply.
    reply_days = (
        REPLY_DAYS_INTERNATIONAL_OR_REMOTE
        if facts.international or facts.remote_area
        else REPLY_DAYS_DOMESTIC
    )
    sheet.step(
        f"给据邮件延误不适用快递“延误超过{sheet.policy.deemed_lost_after_days}天视为丢失”的规则："
        f"自用户查询之日起{reply_days}日查复期满仍未查到的，方视为丢失",
        POSTAL_LAW_49,
    )
    if facts.queried_on is None:
        sheet.step("未登记用户查询日期，邮件尚不能视为丢失：按延误处理", POSTAL_LAW_49)
        return Incident.DELAY
    last_day = day_period_last_day(facts.queried_on, reply_days, calendar=calendar)
    if today is None or today <= last_day:
        sheet.step(
            f"自{_day(facts.queried_on)}查询起的{reply_days}日查复期至{_day(last_day)}届满，"
            "届满前邮件不视为丢失：按延误处理",
            POSTAL_LAW_49_2,
        )
        return Incident.DELAY
    sheet.step(
        f"自{_day(facts.queried_on)}查询起的{reply_days}日查复期已于{_day(last_day)}届满，"
        "仍未查到邮件：视为丢失，依邮政法第四十七条赔偿",
        POSTAL_LAW_49_2,
    )
    return Incident.LOSS


def _day(day: date) -> str:
    """Format a date for a Chinese sentence: 2026年3月2日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _ordinary_mail(facts: ClaimFacts, incident: Incident, sheet: _Worksheet) -> None:
    """Pay nothing for ordinary mail unless the carrier acted with intent or gross negligence."""
    sheet.basis = Basis.STATUTE
    if not facts.carrier_gross_negligence:
        # 邮政法 art. 46: no liability for ordinary mail, save intent or gross negligence.
        sheet.step("平常邮件损失，邮政企业不承担赔偿责任", POSTAL_LAW_46, ZERO)
        return
    if facts.force_majeure or facts.goods_nature_or_sender_fault:
        # 邮政法 art. 48 by analogy; the mixed-fault facts are flagged in _flag_common.
        sheet.step(
            "不可抗力、物品本身性质或用户过错造成的损失，不承担赔偿责任", POSTAL_LAW_48, ZERO
        )
        return
    if incident == Incident.DELAY:
        sheet.step("平常邮件因邮政企业故意或重大过失延误，按延误规则处理", POSTAL_LAW_46)
        _delay_refund(facts, sheet)
        return
    loss = _actual_loss(facts, incident, sheet)
    if loss is None:
        sheet.missing("实际损失金额")
        return
    # 邮政法 art. 46: intent or gross negligence → the actual loss, no cap.
    sheet.step(
        f"平常邮件因邮政企业故意或重大过失{INCIDENT_LABELS[incident]}：按实际损失{_yuan(loss)}赔偿",
        POSTAL_LAW_46,
        loss,
    )


def _registered_mail(facts: ClaimFacts, incident: Incident, sheet: _Worksheet) -> None:
    """Apply 邮政法 arts. 47–48 to registered mail (给据邮件, including registered letters)."""
    sheet.basis = Basis.STATUTE
    if facts.goods_nature_or_sender_fault:
        # 邮政法 art. 48(2)(3): the goods' nature or the user's fault → nothing, insured or not.
        sheet.step(
            "因物品本身的自然性质、合理损耗或用户过错造成的损失，不承担赔偿责任",
            POSTAL_LAW_48,
            ZERO,
        )
        return
    if facts.force_majeure:
        # 邮政法 art. 48(1): force majeure → nothing, except for insured items.
        if not facts.insured:
            sheet.step("不可抗力造成的未保价给据邮件损失，不承担赔偿责任", POSTAL_LAW_48, ZERO)
            return
        sheet.step("不可抗力造成的损失：保价的给据邮件仍予赔偿", POSTAL_LAW_48)
    if facts.insured:
        _postal_insured(facts, incident, sheet)
    elif facts.service == Service.REGISTERED_LETTER and incident != Incident.SHORT:
        _registered_letter(facts, sheet)
    else:
        _postal_uninsured(facts, incident, sheet)


def _postal_insured(facts: ClaimFacts, incident: Incident, sheet: _Worksheet) -> None:
    """Pay insured registered mail: the insured amount on total loss, else proportionally."""
    insured = _insured_amount(facts)
    label = INCIDENT_LABELS[incident]
    if incident in TOTAL_LOSS:
        # 邮政法 art. 47(1): insured and lost or totally damaged → the insured amount.
        sheet.step(f"保价给据邮件{label}：按保价额{_yuan(insured)}赔偿", POSTAL_LAW_47, insured)
        limit = f"保价额{_yuan(insured)}"
    else:
        # 邮政法 art. 47(1): insured, partial damage or short → loss × insured ÷ full value.
        _proportional(facts, incident, sheet, POSTAL_LAW_47)
        limit = "保价额与物品全部价值的比例"
    # 邮政法 art. 47 para. 2: intent, gross negligence or the clause not shown → the post may
    # invoke neither limit of para. 1 (the insured amount, the proportion): the actual loss.
    waived = _limit_waived(facts, statute=True)
    # Under force majeure only the insurance itself pays (art. 48): there is no liability whose
    # limit could be set aside.
    if waived and not facts.force_majeure:
        _set_aside_insured_limit(facts, incident, sheet, waived=waived, limit=limit)


def _set_aside_insured_limit(
    facts: ClaimFacts,
    incident: Incident,
    sheet: _Worksheet,
    *,
    waived: tuple[str, str],
    limit: str,
) -> None:
    """Pay the actual loss where 邮政法 art. 47 para. 2 sets the insured limits aside.

    `waived` is why and by which article (_limit_waived). The para. 1 amount stays a floor:
    the post's own fault must not lower what the customer gets, so an actual loss below it
    changes nothing.
    """
    why, source = waived
    if facts.actual_loss is None and incident not in TOTAL_LOSS:
        return  # the proportional rule already asked for the missing actual loss
    loss = _actual_loss(facts, incident, sheet)  # lost or destroyed: the full value
    if loss is None:
        sheet.step(
            f"{why}，不得援用{limit}限制赔偿；实际损失未填写，暂按第一款金额计",
            source,
        )
        sheet.review(
            f"{why}，依邮政法第四十七条第二款应按实际损失赔偿，但缺少实际损失金额，需人工核定"
        )
        return
    if loss > sheet.running:
        sheet.step(
            f"{why}，不得援用{limit}限制赔偿：按实际损失{_yuan(loss)}赔偿",
            source,
            loss,
        )
    else:
        sheet.step(
            f"{why}，不得援用{limit}限制赔偿；实际损失{_yuan(loss)}未超过第一款金额，按第一款金额赔偿",
            source,
        )


def _registered_letter(facts: ClaimFacts, sheet: _Worksheet) -> None:
    """Pay 3 × postage for a lost or damaged registered letter, or the larger loss if waived."""
    fixed = 3 * facts.freight
    # 邮政法 art. 47(1): a lost or damaged registered letter → 3 × the postage.
    sheet.step(
        f"挂号信件丢失、损毁：按所收资费{_yuan(facts.freight)}的三倍赔偿", POSTAL_LAW_47, fixed
    )
    waived = _limit_waived(facts, statute=True)
    # 邮政法 art. 47 para. 2: the fixed amount may not limit liability then; it stays a floor,
    # since the carrier's own fault must not lower what the customer gets.
    if waived and facts.actual_loss is not None and facts.actual_loss > fixed:
        sheet.used_value = True
        sheet.step(
            f"{waived[0]}，三倍资费不得作为限额：按实际损失{_yuan(facts.actual_loss)}赔偿",
            waived[1],
            facts.actual_loss,
        )


def _postal_uninsured(facts: ClaimFacts, incident: Incident, sheet: _Worksheet) -> None:
    """Pay uninsured registered mail its actual loss, at most 3 × postage unless waived."""
    loss = _actual_loss(facts, incident, sheet)
    if loss is None:
        sheet.missing("实际损失金额")
        return
    label = INCIDENT_LABELS[incident]
    # 邮政法 art. 47(1): uninsured → actual loss, at most 3 × the postage.
    sheet.step(f"未保价给据邮件{label}：按实际损失{_yuan(loss)}赔偿", POSTAL_LAW_47, loss)
    _apply_freight_cap(
        facts, sheet, loss=loss, multiple=Decimal(3), source=POSTAL_LAW_47, statute=True
    )


# --- express --------------------------------------------------------------------------------


def _express(
    facts: ClaimFacts, incident: Incident, policy: CarrierPolicy, sheet: _Worksheet
) -> None:
    """Apply 快递暂行条例 art. 27: insured by the carrier's policy, uninsured by civil law."""
    sheet.basis = Basis.CIVIL_LAW
    if facts.goods_nature_or_sender_fault:
        # 民法典 art. 832: not liable for the goods' nature or the shipper's / consignee's fault.
        sheet.step(
            "因物品本身的自然性质或合理损耗、寄件人或收件人过错造成的损失，承运人不承担赔偿责任",
            CIVIL_CODE_832,
            ZERO,
        )
        return
    if facts.force_majeure:
        # 民法典 art. 832: not liable for force majeure.
        if not facts.insured:
            sheet.step("不可抗力造成的未保价快件损失，承运人不承担赔偿责任", CIVIL_CODE_832, ZERO)
            return
        # Judgement call: no statute says whether a 保价 contract still pays on force majeure.
        # Mirror the postal rule (邮政法 art. 48: insured items are still paid), compute by the
        # policy, and send it to a human rather than decide silently.
        sheet.step(
            "不可抗力造成保价快件损失：法规未明确，参照邮政法第四十八条按保价规则试算",
            f"{CIVIL_CODE_832}；参照{POSTAL_LAW_48}",
        )
        sheet.review("保价快件因不可抗力受损，是否赔付法规未明确（已按保价规则试算），需人工确认")
    if facts.insured:
        _express_insured(facts, incident, policy, sheet)
    else:
        _express_uninsured(facts, incident, policy, sheet)


def _express_insured(
    facts: ClaimFacts, incident: Incident, policy: CarrierPolicy, sheet: _Worksheet
) -> None:
    """Pay an insured express item by the carrier's 保价 policy (快递暂行条例 art. 27)."""
    sheet.basis = Basis.CARRIER_POLICY
    insured = _insured_amount(facts)
    source = f"{EXPRESS_REG_27}；承运人保价规则「{policy.name}」"
    label = INCIDENT_LABELS[incident]
    if incident in TOTAL_LOSS and policy.insured_payout == InsuredPayout.INSURED_AMOUNT:
        sheet.step(f"保价快件{label}：按保价额{_yuan(insured)}赔偿", source, insured)
    elif incident not in TOTAL_LOSS and policy.partial_damage == PartialDamage.PROPORTIONAL:
        _proportional(facts, incident, sheet, source)
    else:  # the proven value / actual loss, up to the insured amount
        loss = _actual_loss(facts, incident, sheet)
        if loss is None:
            sheet.missing("物品实际价值或实际损失")
            return
        sheet.step(f"保价快件{label}：按实际损失{_yuan(loss)}赔偿", source, loss)
        _cap_at_insured(facts, sheet, source)
    # 民法典 art. 506: a limit does not protect intent or gross negligence; a human decides
    # whether that lifts an insured payout to the actual loss.
    claimed = facts.actual_loss or ZERO
    if facts.carrier_gross_negligence and claimed > sheet.running:
        sheet.review(
            f"承运人存在故意或重大过失（民法典第五百零六条），实际损失{_yuan(claimed)}"
            "高于保价赔付，需人工判断是否按实际损失赔偿"
        )


def _express_uninsured(
    facts: ClaimFacts, incident: Incident, policy: CarrierPolicy, sheet: _Worksheet
) -> None:
    """Pay an uninsured express item its actual loss, capped only by a shown contract clause."""
    sheet.basis = Basis.CIVIL_LAW
    loss = _actual_loss(facts, incident, sheet)
    if loss is None:
        sheet.missing("实际损失金额")
        return
    # 快递暂行条例 art. 27 → civil law; 民法典 art. 833: valued at the destination market price.
    sheet.step(
        f"未保价快件{INCIDENT_LABELS[incident]}：按实际损失{_yuan(loss)}赔偿（按目的地市场价格计算）",
        f"{EXPRESS_REG_27}；{CIVIL_CODE_833}",
        loss,
    )
    if policy.uninsured_cap_multiple is None:
        sheet.step(f"承运人规则「{policy.name}」对未保价快件不设赔偿上限", "承运人服务条款")
        return
    # The cap is a contract term, not a statute: it binds only if shown (民法典 arts. 496–497)
    # and never for intent or gross negligence (民法典 art. 506).
    _apply_freight_cap(
        facts,
        sheet,
        loss=loss,
        multiple=policy.uninsured_cap_multiple,
        source=f"承运人服务条款「{policy.name}」；{CIVIL_CODE_496_497}",
        statute=False,
    )


# --- flags for every quote ------------------------------------------------------------------


def _flag_common(facts: ClaimFacts, sheet: _Worksheet) -> None:
    """Add the review flags that do not depend on the service type."""
    insured = facts.insured_amount  # None unless insured (validate_facts)
    if insured is not None and facts.full_value is not None and insured > facts.full_value:
        sheet.review(
            f"保价金额{_yuan(insured)}高于物品实际价值{_yuan(facts.full_value)}"
            "（超额保价），需人工复核"
        )
    if sheet.used_value and not facts.value_evidence:
        sheet.review("客户未提供物品价值证明，赔偿金额依据客户申报，需人工核实")
    if facts.carrier_gross_negligence and (
        facts.force_majeure or facts.goods_nature_or_sender_fault
    ):
        sheet.review(
            "承运人故意或重大过失与免责事由（不可抗力、物品性质或用户过错）并存，需人工划分责任"
        )
