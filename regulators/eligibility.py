"""May this customer appeal to the postal regulator (12305) yet? (SPEC §6). No Django import.

Sources: 邮政业用户申诉处理办法 (2020) art. 9 and 快递市场管理办法 art. 30 for the default rule set;
the 2014 办法 adds a direct-party condition and a one-year limit, and admits an appeal at once
when the company's complaint channel could not be reached (art. 9(4)), kept as a switchable
rule set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from kernel.clock import WorkCalendar, day_period_end, to_shanghai

# 邮政业用户申诉处理办法 art. 9 / 快递市场管理办法 art. 30: the company has 7 days to handle it.
COMPANY_HANDLING_DAYS = 7


class Standing(StrEnum):
    SENDER = "sender"
    RECIPIENT = "recipient"
    AUTHORIZED_AGENT = "authorized_agent"  # Holds the user's signed authorisation.
    UNAUTHORIZED = "unauthorized"  # A third party without one.


class RuleSet(StrEnum):
    RULES_2020 = "2020"
    RULES_2014 = "2014"


class ReasonCode(StrEnum):
    NO_PRIOR_COMPLAINT = "no_prior_complaint"
    WAITING_PERIOD = "waiting_period"
    SATISFIED_WITH_ANSWER = "satisfied_with_answer"
    UNCLEAR_REQUEST = "unclear_request"
    REPEATED_APPEAL = "repeated_appeal"
    IN_LEGAL_PROCESS = "in_legal_process"
    NO_STANDING = "no_standing"
    NOT_DIRECT_PARTY = "not_direct_party"
    TIME_BARRED = "time_barred"
    DISPUTE_DATE_MISSING = "dispute_date_missing"
    # Not obstacles: said so the customer knows which rule admitted, or did not admit, them.
    CHANNEL_UNREACHABLE = "channel_unreachable"
    CHANNEL_UNREACHABLE_NOT_2020 = "channel_unreachable_not_2020"


@dataclass(frozen=True)
class AppealFacts:
    """What we know about the customer's matter on the day `as_of`.

    complained_at None means the customer never complained to the company. `satisfied` is only
    read when the company has answered; None then means the customer has not accepted the answer.
    """

    complained_at: datetime | None
    company_answered_at: datetime | None
    satisfied: bool | None
    has_clear_request: bool  # Names the respondent, the reason, the request and the facts.
    appealed_before: bool
    new_respondent_or_reason: bool  # Raised after the regulator answered the earlier appeal.
    in_legal_process: bool  # Court, arbitration, administrative ruling or people's mediation.
    standing: Standing
    dispute_date: date | None
    as_of: date
    rule_set: RuleSet = RuleSet.RULES_2020
    # The company's complaint channel could not be reached, nobody took the complaint
    # (投诉渠道不畅通，投诉无人受理): the 2014 rules admit the appeal without the 7-day wait.
    channel_unreachable: bool = False


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str  # Simplified Chinese, shown to agents and customers.
    blocking: bool = True  # False: said for information, it does not stand in the way


@dataclass(frozen=True)
class EligibilityResult:
    """The answer, with every reason that stands in the way (blocking) and the notes that
    say which rule applied (not blocking).

    eligible_from: when eligible, the day the time conditions were first met (the day after the
    7-day period, or the day of an answer the customer rejects, whichever is earlier; with an
    unreachable channel under the 2014 rules, the day of the complaint or as_of); when the only
    obstacle is the waiting period, the day it ends; otherwise None.
    """

    eligible: bool
    reasons: tuple[Reason, ...]
    eligible_from: date | None


def format_chinese_date(day: date) -> str:
    """Return the date written the Chinese way, e.g. 2024年10月9日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def eligible_from_date(
    complained_at: datetime, *, calendar: WorkCalendar, roll_over: bool = True
) -> date:
    """Return the first day an unanswered complaint may go to 12305.

    That is the day after the 7-day period, which starts the day after the complaint
    (Asia/Shanghai date) and, with roll_over, ends on a working day: 2024-09-24 → 2024-10-09.
    """
    # 邮政业用户申诉处理办法 art. 9: not handled within 7 days → may appeal.
    # 民法典 arts. 201 and 203 decide how those 7 days are counted.
    period_end = day_period_end(
        complained_at, COMPANY_HANDLING_DAYS, calendar=calendar, roll_over=roll_over
    )
    return period_end.date()


def check_eligibility(
    facts: AppealFacts, *, calendar: WorkCalendar, roll_over: bool = True
) -> EligibilityResult:
    """Return whether the customer may appeal to 12305 on facts.as_of, and every reason why not.

    Raises ValueError for naive datetimes in the facts.
    """
    reasons: list[Reason] = []
    time_met_on = _time_condition_met_on(facts, calendar=calendar, roll_over=roll_over)
    unreachable_2014 = facts.channel_unreachable and facts.rule_set == RuleSet.RULES_2014

    if unreachable_2014:
        # 2014 办法 art. 9(4): "投诉渠道不畅通，投诉无人受理" admits the appeal at once.
        reasons.append(
            Reason(
                ReasonCode.CHANNEL_UNREACHABLE,
                "企业投诉渠道不畅通、投诉无人受理：依2014年申诉处理办法第九条第（四）项，"
                "无须先等待企业7日处理期限即可向12305申诉",
                blocking=False,
            )
        )
    elif facts.channel_unreachable:
        # The 2020 text we hold (art. 9, partial) does not say it: the 7-day rule applies.
        reasons.append(
            Reason(
                ReasonCode.CHANNEL_UNREACHABLE_NOT_2020,
                "“投诉渠道不畅通可直接申诉”是2014年申诉处理办法第九条第（四）项的条件，"
                "按2020年规则仍须先向企业投诉，企业7日内未处理或对处理结果不满意方可申诉",
                blocking=False,
            )
        )

    if unreachable_2014:
        pass
    elif facts.complained_at is None:
        # 申诉处理办法 art. 9 / 快递市场管理办法 art. 30: complain to the company first.
        reasons.append(
            Reason(
                ReasonCode.NO_PRIOR_COMPLAINT,
                "客户尚未向快递企业投诉，须先向企业投诉，企业7日内未处理或对处理结果不满意的，"
                "方可向12305申诉",
            )
        )
    elif facts.company_answered_at is not None and facts.satisfied is True:
        # 申诉处理办法 art. 9: only an answer the user is unsatisfied with opens the appeal.
        reasons.append(
            Reason(
                ReasonCode.SATISFIED_WITH_ANSWER,
                "客户对企业的处理结果表示满意，不符合申诉条件",
            )
        )
    elif time_met_on is not None and facts.as_of < time_met_on:
        # 申诉处理办法 art. 9: unanswered → wait until the company's 7 days have run out.
        reasons.append(
            Reason(
                ReasonCode.WAITING_PERIOD,
                f"企业受理投诉未满7日，客户可于{format_chinese_date(time_met_on)}起向12305申诉",
            )
        )

    if not facts.has_clear_request:
        # 申诉处理办法 art. 9: a clear respondent, reason, request and facts.
        reasons.append(
            Reason(
                ReasonCode.UNCLEAR_REQUEST,
                "申诉须有明确的被申诉人、申诉事由、具体请求和事实根据",
            )
        )

    if facts.appealed_before and not facts.new_respondent_or_reason:
        # 申诉处理办法 art. 9: the same matter again only with a new respondent or reason.
        reasons.append(
            Reason(
                ReasonCode.REPEATED_APPEAL,
                "同一事项已经申诉，邮政管理部门答复后未提出新的被申诉人或申诉事由，不予受理",
            )
        )

    if facts.in_legal_process:
        # 申诉处理办法 art. 9: not when a court, arbitration, ruling or mediation has it.
        reasons.append(
            Reason(
                ReasonCode.IN_LEGAL_PROCESS,
                "该事项已进入诉讼、仲裁、行政裁决或人民调解程序，不属于申诉受理范围",
            )
        )

    if facts.standing == Standing.UNAUTHORIZED:
        # 申诉处理办法: an agent needs the user's signed authorisation.
        reasons.append(
            Reason(
                ReasonCode.NO_STANDING,
                "第三方代为申诉须提交用户签字的授权委托书，未经授权的第三方不能申诉",
            )
        )

    if facts.rule_set == RuleSet.RULES_2014:
        reasons.extend(_reasons_2014(facts, time_met_on, calendar=calendar, roll_over=roll_over))

    blocking = [reason.code for reason in reasons if reason.blocking]
    eligible = not blocking
    only_waiting = blocking == [ReasonCode.WAITING_PERIOD]
    return EligibilityResult(
        eligible=eligible,
        reasons=tuple(reasons),
        eligible_from=time_met_on if eligible or only_waiting else None,
    )


def _time_condition_met_on(
    facts: AppealFacts, *, calendar: WorkCalendar, roll_over: bool
) -> date | None:
    """Return the first day the "not handled in 7 days or unsatisfied" condition holds.

    None when there is no complaint or the customer accepted the answer: then it never holds.
    2014 rules with an unreachable channel: the day of the attempt (the complaint's, or as_of).
    """
    if facts.channel_unreachable and facts.rule_set == RuleSet.RULES_2014:
        # 2014 办法 art. 9(4): no waiting period when nobody could take the complaint.
        if facts.complained_at is None:
            return facts.as_of
        return min(to_shanghai(facts.complained_at).date(), facts.as_of)
    if facts.complained_at is None:
        return None
    unanswered_from = eligible_from_date(
        facts.complained_at, calendar=calendar, roll_over=roll_over
    )
    if facts.company_answered_at is None:
        return unanswered_from
    if facts.satisfied is True:
        return None
    # A rejected answer opens the appeal at once; an answer after the 7 days cannot close it.
    answered_on = to_shanghai(facts.company_answered_at).date()
    return min(answered_on, unanswered_from)


def _reasons_2014(
    facts: AppealFacts, time_met_on: date | None, *, calendar: WorkCalendar, roll_over: bool
) -> list[Reason]:
    """Return the reasons only the 2014 rules give: direct party and one-year limit."""
    reasons = []
    # 2014 办法: the appellant must be a direct party. Read as: the sender or recipient, or an
    # agent they have authorised, acting for them (the agent is not appealing in its own right).
    if facts.standing == Standing.UNAUTHORIZED:
        reasons.append(
            Reason(
                ReasonCode.NOT_DIRECT_PARTY,
                "申诉人须为与申诉事项有直接利害关系的寄件人或收件人（或其授权代理人）",
            )
        )
    # 2014 办法: appeal within one year of the dispute.
    if facts.dispute_date is None:
        reasons.append(
            Reason(
                ReasonCode.DISPUTE_DATE_MISSING,
                "适用2014年申诉办法时须填写争议发生日期，以核对一年申诉期限",
            )
        )
        return reasons
    last_day = _one_year_last_day(facts.dispute_date, calendar=calendar, roll_over=roll_over)
    # Also barred when the company's 7 days would run past the last day: it can never open.
    if facts.as_of > last_day or (time_met_on is not None and time_met_on > last_day):
        reasons.append(
            Reason(
                ReasonCode.TIME_BARRED,
                f"已超过争议发生之日起一年的申诉期限（最后一日为{format_chinese_date(last_day)}）",
            )
        )
    return reasons


def _one_year_last_day(dispute_date: date, *, calendar: WorkCalendar, roll_over: bool) -> date:
    """Return the last day of the one-year period after `dispute_date`."""
    # 民法典 art. 202: a period in years ends on the same date of the last year; with no such
    # date (29 February), on the last day of that month.
    try:
        last_day = dispute_date.replace(year=dispute_date.year + 1)
    except ValueError:
        last_day = date(dispute_date.year + 1, 2, 28)
    # 民法典 art. 203: last day a rest day → the first working day after it.
    if roll_over and calendar.is_rest_day(last_day):
        last_day = calendar.next_working_day(last_day)
    return last_day
