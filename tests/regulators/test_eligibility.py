"""Tests for regulators.eligibility: may the customer appeal to 12305 yet, and from when?

"art9" is 邮政业用户申诉处理办法 (2020) art. 9 / 快递市场管理办法 art. 30; "art201"/"art203" are the
民法典 period rules; "2014" cases use the 2014 rule set.
"""

import dataclasses
import re
from datetime import UTC, date, datetime

import pytest

from kernel.clock import SHANGHAI, WorkCalendar
from regulators.eligibility import (
    AppealFacts,
    ReasonCode,
    RuleSet,
    Standing,
    check_eligibility,
    eligible_from_date,
    format_chinese_date,
)

OFFICIAL = WorkCalendar()

# A sender who complained on Friday 2024-05-10 and has had no answer; every condition is met
# from 2024-05-18. Each case changes only what it is about.
BASE = AppealFacts(
    complained_at=datetime(2024, 5, 10, 10, tzinfo=SHANGHAI),
    company_answered_at=None,
    satisfied=None,
    has_clear_request=True,
    appealed_before=False,
    new_respondent_or_reason=False,
    in_legal_process=False,
    standing=Standing.SENDER,
    dispute_date=date(2024, 5, 8),
    as_of=date(2024, 5, 20),
)


def sh(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """Return an aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def case(case_id, changes, codes, eligible_from, *, roll_over=True):
    """Return one table row: the facts are BASE with `changes`, codes the expected reasons."""
    facts = dataclasses.replace(BASE, **changes)
    return pytest.param(facts, roll_over, tuple(codes), eligible_from, id=case_id)


CASES = [
    # --- 7 days without an answer (art. 9; start day not counted, art. 201) ---
    case(
        "art9-6th-day-waits",
        {"as_of": date(2024, 5, 16)},
        [ReasonCode.WAITING_PERIOD],
        date(2024, 5, 18),
    ),
    case(
        "art9-7th-day-company-has-until-2400-waits",
        {"as_of": date(2024, 5, 17)},
        [ReasonCode.WAITING_PERIOD],
        date(2024, 5, 18),
    ),
    case("art9-8th-day-eligible", {"as_of": date(2024, 5, 18)}, [], date(2024, 5, 18)),
    case("art9-long-after-eligible", {"as_of": date(2024, 8, 1)}, [], date(2024, 5, 18)),
    case(
        "art201-utc-1730-is-already-may-10-in-shanghai",
        {"complained_at": datetime(2024, 5, 9, 17, 30, tzinfo=UTC), "as_of": date(2024, 5, 17)},
        [ReasonCode.WAITING_PERIOD],
        date(2024, 5, 18),
    ),
    case(
        "art201-utc-1559-is-still-may-9-in-shanghai",
        {"complained_at": datetime(2024, 5, 9, 15, 59, tzinfo=UTC), "as_of": date(2024, 5, 17)},
        [],
        date(2024, 5, 17),
    ),
    # --- last day in the National Day holiday (民法典 art. 203) ---
    case(
        "art203-national-day-2024-still-waiting-on-oct-8",
        {"complained_at": sh(2024, 9, 24), "as_of": date(2024, 10, 8)},
        [ReasonCode.WAITING_PERIOD],
        date(2024, 10, 9),
    ),
    case(
        "art203-national-day-2024-eligible-oct-9",
        {"complained_at": sh(2024, 9, 24), "as_of": date(2024, 10, 9)},
        [],
        date(2024, 10, 9),
    ),
    case(
        "no-roll-over-national-day-2024-waits-on-oct-1",
        {"complained_at": sh(2024, 9, 24), "as_of": date(2024, 10, 1)},
        [ReasonCode.WAITING_PERIOD],
        date(2024, 10, 2),
        roll_over=False,
    ),
    case(
        "no-roll-over-national-day-2024-eligible-oct-2",
        {"complained_at": sh(2024, 9, 24), "as_of": date(2024, 10, 2)},
        [],
        date(2024, 10, 2),
        roll_over=False,
    ),
    # --- the company's answer (art. 9: unsatisfied with the handling) ---
    case(
        "art9-answer-rejected-eligible-at-once",
        {
            "company_answered_at": sh(2024, 5, 12, 14),
            "satisfied": False,
            "as_of": date(2024, 5, 12),
        },
        [],
        date(2024, 5, 12),
    ),
    case(
        "art9-answer-not-accepted-yet-counts-as-unsatisfied",
        {"company_answered_at": sh(2024, 5, 12, 14), "satisfied": None, "as_of": date(2024, 5, 13)},
        [],
        date(2024, 5, 12),
    ),
    case(
        "art9-late-answer-rejected-eligible-since-8th-day",
        {"company_answered_at": sh(2024, 5, 25), "satisfied": False, "as_of": date(2024, 5, 26)},
        [],
        date(2024, 5, 18),
    ),
    case(
        "art9-answer-accepted-not-eligible",
        {"company_answered_at": sh(2024, 5, 12, 14), "satisfied": True},
        [ReasonCode.SATISFIED_WITH_ANSWER],
        None,
    ),
    # --- other art. 9 conditions ---
    case("art9-no-prior-complaint", {"complained_at": None}, [ReasonCode.NO_PRIOR_COMPLAINT], None),
    case("art9-unclear-request", {"has_clear_request": False}, [ReasonCode.UNCLEAR_REQUEST], None),
    case(
        "art9-repeated-appeal-same-matter",
        {"appealed_before": True},
        [ReasonCode.REPEATED_APPEAL],
        None,
    ),
    case(
        "art9-repeated-appeal-with-new-respondent-or-reason",
        {"appealed_before": True, "new_respondent_or_reason": True},
        [],
        date(2024, 5, 18),
    ),
    case("art9-already-in-court", {"in_legal_process": True}, [ReasonCode.IN_LEGAL_PROCESS], None),
    case(
        "art9-unauthorised-third-party",
        {"standing": Standing.UNAUTHORIZED},
        [ReasonCode.NO_STANDING],
        None,
    ),
    case(
        "art9-authorised-agent-with-signed-authorisation",
        {"standing": Standing.AUTHORIZED_AGENT},
        [],
        date(2024, 5, 18),
    ),
    case("art9-recipient", {"standing": Standing.RECIPIENT}, [], date(2024, 5, 18)),
    case(
        "2020-no-one-year-limit-nor-dispute-date",
        {"dispute_date": None, "as_of": date(2026, 1, 5)},
        [],
        date(2024, 5, 18),
    ),
    # --- several reasons at once: all are given, and no date unless time is the only one ---
    case(
        "art9-several-reasons-at-once",
        {
            "complained_at": None,
            "has_clear_request": False,
            "appealed_before": True,
            "in_legal_process": True,
            "standing": Standing.UNAUTHORIZED,
        },
        [
            ReasonCode.NO_PRIOR_COMPLAINT,
            ReasonCode.UNCLEAR_REQUEST,
            ReasonCode.REPEATED_APPEAL,
            ReasonCode.IN_LEGAL_PROCESS,
            ReasonCode.NO_STANDING,
        ],
        None,
    ),
    case(
        "art9-waiting-and-unclear-gives-no-date",
        {"as_of": date(2024, 5, 16), "has_clear_request": False},
        [ReasonCode.WAITING_PERIOD, ReasonCode.UNCLEAR_REQUEST],
        None,
    ),
    # --- 2014 rule set: direct party, one year from the dispute ---
    case(
        "2014-within-one-year",
        {"rule_set": RuleSet.RULES_2014, "dispute_date": date(2023, 6, 1)},
        [],
        date(2024, 5, 18),
    ),
    case(
        "2014-one-year-ended-on-the-anniversary",
        {"rule_set": RuleSet.RULES_2014, "dispute_date": date(2023, 5, 10)},
        [ReasonCode.TIME_BARRED],
        None,
    ),
    case(
        "2014-art203-anniversary-saturday-rolls-to-monday",
        {"rule_set": RuleSet.RULES_2014, "dispute_date": date(2023, 5, 18)},
        [],
        date(2024, 5, 18),
    ),
    case(
        "2014-no-roll-over-anniversary-saturday-barred-on-monday",
        {"rule_set": RuleSet.RULES_2014, "dispute_date": date(2023, 5, 18)},
        [ReasonCode.TIME_BARRED],
        None,
        roll_over=False,
    ),
    case(
        "2014-seven-days-would-end-after-the-one-year-limit",
        {
            "rule_set": RuleSet.RULES_2014,
            "dispute_date": date(2023, 5, 12),
            "as_of": date(2024, 5, 11),
        },
        [ReasonCode.WAITING_PERIOD, ReasonCode.TIME_BARRED],
        None,
    ),
    case(
        "2014-dispute-date-missing",
        {"rule_set": RuleSet.RULES_2014, "dispute_date": None},
        [ReasonCode.DISPUTE_DATE_MISSING],
        None,
    ),
    case(
        "2014-unauthorised-third-party-is-not-a-direct-party",
        {"rule_set": RuleSet.RULES_2014, "standing": Standing.UNAUTHORIZED},
        [ReasonCode.NO_STANDING, ReasonCode.NOT_DIRECT_PARTY],
        None,
    ),
    case(
        "2014-authorised-agent-acts-for-a-direct-party",
        {"rule_set": RuleSet.RULES_2014, "standing": Standing.AUTHORIZED_AGENT},
        [],
        date(2024, 5, 18),
    ),
    case(
        "2014-recipient-is-a-direct-party",
        {"rule_set": RuleSet.RULES_2014, "standing": Standing.RECIPIENT},
        [],
        date(2024, 5, 18),
    ),
    # Complained Thursday 2024-05-09: the 7 days end Thursday 16 May, appeal from Friday 17 May,
    # which is also the last day of the year from a dispute on 2023-05-17: still in time.
    case(
        "2014-seven-days-end-on-the-last-day-of-the-year",
        {
            "rule_set": RuleSet.RULES_2014,
            "complained_at": sh(2024, 5, 9),
            "dispute_date": date(2023, 5, 17),
            "as_of": date(2024, 5, 17),
        },
        [],
        date(2024, 5, 17),
    ),
    # 民法典 art. 202: a year from 29 February ends on 28 February (a Friday in 2025).
    case(
        "2014-art202-from-29-february-last-day-28-february",
        {
            "rule_set": RuleSet.RULES_2014,
            "dispute_date": date(2024, 2, 29),
            "as_of": date(2025, 2, 28),
        },
        [],
        date(2024, 5, 18),
    ),
    case(
        "2014-art202-from-29-february-barred-on-1-march",
        {
            "rule_set": RuleSet.RULES_2014,
            "dispute_date": date(2024, 2, 29),
            "as_of": date(2025, 3, 1),
        },
        [ReasonCode.TIME_BARRED],
        None,
    ),
    # From 2020-02-29 the year ends on Sunday 2021-02-28 → Monday 1 March (民法典 art. 203).
    case(
        "2014-art203-from-29-february-sunday-rolls-to-monday",
        {
            "rule_set": RuleSet.RULES_2014,
            "complained_at": sh(2020, 12, 1),
            "dispute_date": date(2020, 2, 29),
            "as_of": date(2021, 3, 1),
        },
        [],
        date(2020, 12, 9),
    ),
    case(
        "2014-no-roll-over-from-29-february-barred-on-monday",
        {
            "rule_set": RuleSet.RULES_2014,
            "complained_at": sh(2020, 12, 1),
            "dispute_date": date(2020, 2, 29),
            "as_of": date(2021, 3, 1),
        },
        [ReasonCode.TIME_BARRED],
        None,
        roll_over=False,
    ),
]

# Every reason's text, word for word (the agent and the customer read it), and whether it stands
# in the way. The two with a date are checked by pattern here and word for word below.
MESSAGES = {
    ReasonCode.NO_PRIOR_COMPLAINT: (
        "客户尚未向快递企业投诉，须先向企业投诉，企业7日内未处理或对处理结果不满意的，"
        "方可向12305申诉"
    ),
    ReasonCode.SATISFIED_WITH_ANSWER: "客户对企业的处理结果表示满意，不符合申诉条件",
    ReasonCode.UNCLEAR_REQUEST: "申诉须有明确的被申诉人、申诉事由、具体请求和事实根据",
    ReasonCode.REPEATED_APPEAL: (
        "同一事项已经申诉，邮政管理部门答复后未提出新的被申诉人或申诉事由，不予受理"
    ),
    ReasonCode.IN_LEGAL_PROCESS: (
        "该事项已进入诉讼、仲裁、行政裁决或人民调解程序，不属于申诉受理范围"
    ),
    ReasonCode.NO_STANDING: "第三方代为申诉须提交用户签字的授权委托书，未经授权的第三方不能申诉",
    ReasonCode.NOT_DIRECT_PARTY: (
        "申诉人须为与申诉事项有直接利害关系的寄件人或收件人（或其授权代理人）"
    ),
    ReasonCode.DISPUTE_DATE_MISSING: "适用2014年申诉办法时须填写争议发生日期，以核对一年申诉期限",
    ReasonCode.WAITING_PERIOD: re.compile(
        r"企业受理投诉未满7日，客户可于\d{4}年\d{1,2}月\d{1,2}日起向12305申诉"
    ),
    ReasonCode.TIME_BARRED: re.compile(
        r"已超过争议发生之日起一年的申诉期限（最后一日为\d{4}年\d{1,2}月\d{1,2}日）"
    ),
}


@pytest.mark.parametrize(("facts", "roll_over", "codes", "eligible_from"), CASES)
def test_it_checks_eligibility(facts, roll_over, codes, eligible_from):
    result = check_eligibility(facts, calendar=OFFICIAL, roll_over=roll_over)
    assert tuple(reason.code for reason in result.reasons) == codes
    assert result.eligible is (codes == ())
    assert result.eligible_from == eligible_from


@pytest.mark.parametrize(("facts", "roll_over", "codes", "eligible_from"), CASES)
def test_it_explains_every_reason_in_chinese(facts, roll_over, codes, eligible_from):
    result = check_eligibility(facts, calendar=OFFICIAL, roll_over=roll_over)
    for reason in result.reasons:
        expected = MESSAGES[reason.code]
        if isinstance(expected, str):
            assert reason.message == expected
        else:
            assert expected.fullmatch(reason.message), reason
        assert reason.blocking is True


@pytest.mark.parametrize(
    ("complained_at", "roll_over", "message"),
    [
        pytest.param(
            sh(2024, 9, 24),
            True,
            "企业受理投诉未满7日，客户可于2024年10月9日起向12305申诉",
            id="art203-national-day-2024",
        ),
        pytest.param(
            sh(2024, 9, 24),
            False,
            "企业受理投诉未满7日，客户可于2024年10月2日起向12305申诉",
            id="no-roll-over",
        ),
    ],
)
def test_it_names_the_date_in_the_waiting_message(complained_at, roll_over, message):
    facts = dataclasses.replace(BASE, complained_at=complained_at, as_of=date(2024, 9, 30))
    result = check_eligibility(facts, calendar=OFFICIAL, roll_over=roll_over)
    assert [reason.message for reason in result.reasons] == [message]


@pytest.mark.parametrize(
    ("dispute_date", "roll_over", "message"),
    [
        pytest.param(
            date(2023, 5, 10),
            True,
            "已超过争议发生之日起一年的申诉期限（最后一日为2024年5月10日）",
            id="2014-anniversary-friday",
        ),
        pytest.param(
            date(2023, 2, 28),
            True,
            "已超过争议发生之日起一年的申诉期限（最后一日为2024年2月28日）",
            id="2014-anniversary-in-a-leap-year",
        ),
        pytest.param(
            date(2020, 2, 29),
            True,
            "已超过争议发生之日起一年的申诉期限（最后一日为2021年3月1日）",
            id="2014-art202-203-from-29-february-to-monday-1-march",
        ),
        pytest.param(
            date(2020, 2, 29),
            False,
            "已超过争议发生之日起一年的申诉期限（最后一日为2021年2月28日）",
            id="2014-art202-from-29-february-no-roll-over",
        ),
    ],
)
def test_it_names_the_last_day_in_the_time_barred_message(dispute_date, roll_over, message):
    facts = dataclasses.replace(BASE, rule_set=RuleSet.RULES_2014, dispute_date=dispute_date)
    (reason,) = check_eligibility(facts, calendar=OFFICIAL, roll_over=roll_over).reasons
    assert reason.message == message


@pytest.mark.parametrize(
    ("complained_at", "roll_over", "expected"),
    [
        pytest.param(sh(2024, 5, 10), True, date(2024, 5, 18), id="art9-day-after-7th-day"),
        pytest.param(sh(2024, 5, 10, 0), True, date(2024, 5, 18), id="art201-complaint-at-0000"),
        pytest.param(sh(2024, 5, 10, 23), True, date(2024, 5, 18), id="art201-complaint-at-2300"),
        pytest.param(
            datetime(2024, 5, 9, 17, 30, tzinfo=UTC),
            True,
            date(2024, 5, 18),
            id="art201-utc-1730-is-may-10-in-shanghai",
        ),
        pytest.param(sh(2024, 9, 24), True, date(2024, 10, 9), id="art203-national-day-2024"),
        pytest.param(sh(2024, 9, 24), False, date(2024, 10, 2), id="no-roll-over-2024"),
        pytest.param(sh(2024, 2, 3), True, date(2024, 2, 19), id="art203-to-tiaoxiu-sunday-2024"),
        pytest.param(sh(2025, 9, 24), True, date(2025, 10, 10), id="art203-national-day-2025"),
        pytest.param(sh(2026, 2, 10), True, date(2026, 2, 25), id="art203-spring-festival-2026"),
        pytest.param(sh(2026, 12, 26), True, date(2027, 1, 5), id="art203-2027-fallback-weekend"),
    ],
)
def test_it_gives_the_first_day_an_appeal_is_possible(complained_at, roll_over, expected):
    assert eligible_from_date(complained_at, calendar=OFFICIAL, roll_over=roll_over) == expected


def test_it_rejects_a_naive_complaint_time():
    naive = datetime(2024, 5, 10, 10)  # Naive on purpose.
    with pytest.raises(ValueError, match="naive"):
        check_eligibility(dataclasses.replace(BASE, complained_at=naive), calendar=OFFICIAL)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        pytest.param(date(2024, 10, 9), "2024年10月9日", id="no-leading-zeros"),
        pytest.param(date(2025, 1, 1), "2025年1月1日", id="new-year"),
    ],
)
def test_it_formats_dates_the_chinese_way(day, text):
    assert format_chinese_date(day) == text


@pytest.mark.parametrize(
    ("rule_set", "code", "message"),
    [
        pytest.param(
            RuleSet.RULES_2014,
            ReasonCode.CHANNEL_UNREACHABLE,
            "企业投诉渠道不畅通、投诉无人受理：依2014年申诉处理办法第九条第（四）项，"
            "无须先等待企业7日处理期限即可向12305申诉",
            id="2014-art9(4)-admits-at-once",
        ),
        pytest.param(
            RuleSet.RULES_2020,
            ReasonCode.CHANNEL_UNREACHABLE_NOT_2020,
            "“投诉渠道不畅通可直接申诉”是2014年申诉处理办法第九条第（四）项的条件，"
            "按2020年规则仍须先向企业投诉，企业7日内未处理或对处理结果不满意方可申诉",
            id="2020-not-a-condition",
        ),
    ],
)
def test_it_says_which_rule_an_unreachable_channel_falls_under(rule_set, code, message):
    facts = dataclasses.replace(
        BASE, rule_set=rule_set, channel_unreachable=True, as_of=date(2024, 5, 12)
    )
    note = check_eligibility(facts, calendar=OFFICIAL).reasons[0]
    assert (note.code, note.message, note.blocking) == (code, message, False)


def test_it_rolls_the_7_days_past_rest_days_by_default():
    # 民法典 art. 203 unless told otherwise: 2024-09-24 + 7 days end on 1 October → 8 October.
    assert eligible_from_date(sh(2024, 9, 24), calendar=OFFICIAL) == date(2024, 10, 9)
    facts = dataclasses.replace(BASE, complained_at=sh(2024, 9, 24), as_of=date(2024, 10, 8))
    assert check_eligibility(facts, calendar=OFFICIAL).eligible_from == date(2024, 10, 9)
