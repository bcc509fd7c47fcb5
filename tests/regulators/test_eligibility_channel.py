"""The 2014 rule set's art. 9(4) (issue 18): an appeal is also admissible when the company's
complaint channel could not be reached (投诉渠道不畅通，投诉无人受理), without the 7-day wait.
Under the 2020 rules the input changes nothing and `reasons` says why.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from kernel.clock import SHANGHAI, WorkCalendar
from regulators.eligibility import AppealFacts, ReasonCode, RuleSet, Standing, check_eligibility

# Complained Friday 2024-05-10, unanswered: the 7 days end 2024-05-17, appeal from 05-18.
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
    as_of=date(2024, 5, 12),
    rule_set=RuleSet.RULES_2014,
    channel_unreachable=True,
)


@pytest.mark.parametrize(
    ("changes", "eligible", "blocking", "notes", "eligible_from"),
    [
        pytest.param(
            {},
            True,
            [],
            [ReasonCode.CHANNEL_UNREACHABLE],
            date(2024, 5, 10),
            id="2014-art9(4)-unreachable-no-7-day-wait",
        ),
        pytest.param(
            {"complained_at": None},
            True,
            [],
            [ReasonCode.CHANNEL_UNREACHABLE],
            date(2024, 5, 12),
            id="2014-art9(4)-nobody-took-the-complaint",
        ),
        pytest.param(
            {"channel_unreachable": False},
            False,
            [ReasonCode.WAITING_PERIOD],
            [],
            date(2024, 5, 18),
            id="2014-art9(4)-reachable-waits-7-days",
        ),
        pytest.param(
            {"rule_set": RuleSet.RULES_2020},
            False,
            [ReasonCode.WAITING_PERIOD],
            [ReasonCode.CHANNEL_UNREACHABLE_NOT_2020],
            date(2024, 5, 18),
            id="2020-art9-unreachable-still-waits-and-says-why",
        ),
        pytest.param(
            {"dispute_date": date(2023, 5, 9)},
            False,
            [ReasonCode.TIME_BARRED],
            [ReasonCode.CHANNEL_UNREACHABLE],
            None,
            id="2014-one-year-limit-still-applies",
        ),
        pytest.param(
            {"in_legal_process": True},
            False,
            [ReasonCode.IN_LEGAL_PROCESS],
            [ReasonCode.CHANNEL_UNREACHABLE],
            None,
            id="2014-art9-court-still-bars",
        ),
    ],
)
def test_an_unreachable_channel_admits_the_appeal_under_2014(
    changes, eligible, blocking, notes, eligible_from
):
    result = check_eligibility(dataclasses.replace(BASE, **changes), calendar=WorkCalendar())

    assert result.eligible is eligible
    assert [r.code for r in result.reasons if r.blocking] == blocking
    assert [r.code for r in result.reasons if not r.blocking] == notes
    assert result.eligible_from == eligible_from


def test_the_endpoint_takes_the_input_and_says_it_in_reasons(db):
    cache.clear()
    body = {
        "complained_at": "2024-05-10T10:00:00+08:00",
        "standing": "sender",
        "dispute_date": "2024-05-08",
        "as_of": "2024-05-12",
        "rule_set": "2014",
        "channel_unreachable": True,
    }

    response = APIClient().post("/api/v1/appeals/eligibility/", body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["eligible"] is True and data["eligible_from"] == "2024-05-10"
    (reason,) = data["reasons"]
    assert reason["code"] == "channel_unreachable" and reason["blocking"] is False
    assert "第九条第（四）项" in reason["message"]
    cache.clear()
