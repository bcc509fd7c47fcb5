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
]


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
        assert re.search(r"[\u4e00-\u9fff]", reason.message), reason


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


def test_it_names_the_last_day_in_the_time_barred_message():
    facts = dataclasses.replace(BASE, rule_set=RuleSet.RULES_2014, dispute_date=date(2023, 5, 10))
    (reason,) = check_eligibility(facts, calendar=OFFICIAL).reasons
    assert "2024年5月10日" in reason.message


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
