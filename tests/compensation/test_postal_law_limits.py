"""邮政法 arts. 47 para. 2 and 49 (issue 18): the limits a carrier may not invoke, and when a late
registered item is lost. Table ids name the article; the edges of each period are tested on the
day, the day before and the day after.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from compensation.amounts import ClaimFacts, Incident, InvalidFacts, Service, quote
from compensation.carrier_policies import DEFAULT_POLICY
from kernel.clock import WorkCalendar

D = Decimal
POSTAL = Service.POSTAL_REGISTERED
LETTER = Service.REGISTERED_LETTER


def facts(**overrides: Any) -> ClaimFacts:
    """Insured postal registered mail (¥1,000 of ¥3,000), postage ¥20, lost, clause shown."""
    base: dict[str, Any] = {
        "service": POSTAL,
        "incident": Incident.LOSS,
        "insured": True,
        "insured_amount": D("1000"),
        "full_value": D("3000"),
        "freight": D("20"),
        "limit_clause_shown": True,
    }
    base.update(overrides)
    for name in ("insured_amount", "full_value", "actual_loss", "freight"):
        if isinstance(base.get(name), str):
            base[name] = D(base[name])
    return ClaimFacts(**base)


# --- 邮政法 art. 47 para. 2: neither limit of para. 1 -------------------------------------------

LIMITS = [
    pytest.param(
        facts(),
        "1000.00",
        "邮政法第四十七条",
        False,
        id="邮政法47.1-control-insured-loss-pays-insured-amount",
    ),
    pytest.param(
        facts(carrier_gross_negligence=True),
        "3000.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-gross-negligence-under-insured-loss-pays-full-value",
    ),
    pytest.param(
        facts(carrier_gross_negligence=True, actual_loss="2500"),
        "2500.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-gross-negligence-insured-loss-pays-actual-loss",
    ),
    pytest.param(
        facts(limit_clause_shown=False, actual_loss="2500"),
        "2500.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-clause-not-shown-insured-loss-pays-actual-loss",
    ),
    pytest.param(
        facts(incident=Incident.PARTIAL_DAMAGE, actual_loss="600", carrier_gross_negligence=True),
        "600.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-gross-negligence-partial-sets-proportion-aside",
    ),
    pytest.param(
        facts(incident=Incident.SHORT, actual_loss="600", limit_clause_shown=False),
        "600.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-clause-not-shown-short-sets-proportion-aside",
    ),
    pytest.param(
        facts(carrier_gross_negligence=True, full_value="800", actual_loss="800"),
        "1000.00",
        "邮政法第四十七条第二款",
        True,  # over-declared: flagged as ever
        id="邮政法47.2-loss-below-insured-amount-keeps-it-as-a-floor",
    ),
    pytest.param(
        facts(limit_clause_shown=False, full_value=None),
        "1000.00",
        "邮政法第四十七条第二款",
        True,
        id="邮政法47.2-actual-loss-unknown-insured-amount-for-now-and-review",
    ),
    pytest.param(
        facts(limit_clause_shown=False, force_majeure=True, actual_loss="2500"),
        "1000.00",
        "邮政法第四十八条",
        False,
        id="邮政法48-force-majeure-only-the-insurance-pays",
    ),
    pytest.param(
        facts(service=LETTER, carrier_gross_negligence=True, actual_loss="2500"),
        "2500.00",
        "邮政法第四十七条第二款",
        False,
        id="邮政法47.2-insured-registered-letter-pays-actual-loss",
    ),
]


@pytest.mark.parametrize(("claim", "amount", "source", "review"), LIMITS)
def test_it_sets_both_limits_of_article_47_aside(claim, amount, source, review):
    result = quote(claim, DEFAULT_POLICY)

    assert str(result.amount) == amount
    assert any(step.source == source for step in result.steps), result.steps
    assert result.needs_review is review, result.review_reasons


@pytest.mark.parametrize(
    ("claim", "limit", "why"),
    [
        pytest.param(
            facts(carrier_gross_negligence=True),
            "不得援用保价额¥1,000.00限制赔偿",
            "故意或重大过失",
            id="邮政法47.2-step-names-the-insured-amount-and-gross-negligence",
        ),
        pytest.param(
            facts(incident=Incident.PARTIAL_DAMAGE, actual_loss="600", limit_clause_shown=False),
            "不得援用保价额与物品全部价值的比例限制赔偿",
            "未以足以引起注意的方式向寄件人提示限额条款",
            id="邮政法47.2-step-names-the-proportion-and-the-clause-not-shown",
        ),
    ],
)
def test_it_says_which_limit_was_set_aside_and_why(claim, limit, why):
    step = next(
        s for s in quote(claim, DEFAULT_POLICY).steps if s.source == "邮政法第四十七条第二款"
    )

    assert limit in step.rule and why in step.rule


# --- 邮政法 art. 49: a late registered item is lost when the reply period ends ------------------

# Queried 2026-03-10: the 30-day reply period ends 2026-04-09 (民法典 art. 201: from the 11th).
DOMESTIC = {"incident": Incident.DELAY, "delay_days": 12, "queried_on": date(2026, 3, 10)}

DELAYS = [
    pytest.param(
        facts(**DOMESTIC), date(2026, 4, 8), "20.00", "delay", id="邮政法49.2-day-before-end-delay"
    ),
    pytest.param(
        facts(**DOMESTIC), date(2026, 4, 9), "20.00", "delay", id="邮政法49.2-last-day-still-delay"
    ),
    pytest.param(
        facts(**DOMESTIC), date(2026, 4, 10), "1000.00", "loss", id="邮政法49.2-day-after-is-lost"
    ),
    pytest.param(
        facts(incident=Incident.DELAY, delay_days=30),
        date(2026, 6, 1),
        "20.00",
        "delay",
        id="邮政法49-no-query-never-lost-by-days",
    ),
    # 60 days for international items: 2026-03-10 + 60 = Saturday 9 May, a 调休 working day.
    pytest.param(
        facts(**DOMESTIC, international=True),
        date(2026, 5, 9),
        "20.00",
        "delay",
        id="邮政法49.2-international-60-days-last-day",
    ),
    pytest.param(
        facts(**DOMESTIC, international=True),
        date(2026, 5, 10),
        "1000.00",
        "loss",
        id="邮政法49.2-international-60-days-day-after",
    ),
    pytest.param(
        facts(**DOMESTIC, remote_area=True),
        date(2026, 4, 10),
        "20.00",
        "delay",
        id="邮政法49.2-remote-area-60-days-not-yet",
    ),
    # Queried 1 Sept 2026: the 30th day is 1 Oct, in the National Day holiday → 8 Oct.
    pytest.param(
        facts(incident=Incident.DELAY, delay_days=40, queried_on=date(2026, 9, 1)),
        date(2026, 10, 8),
        "20.00",
        "delay",
        id="民法典203-reply-period-rolls-past-national-day",
    ),
    pytest.param(
        facts(incident=Incident.DELAY, delay_days=40, queried_on=date(2026, 9, 1)),
        date(2026, 10, 9),
        "1000.00",
        "loss",
        id="民法典203-lost-the-day-after-the-rolled-period",
    ),
    pytest.param(
        facts(service=LETTER, insured=False, insured_amount=None, freight="5", **DOMESTIC),
        date(2026, 4, 10),
        "15.00",
        "loss",
        id="邮政法49.2-registered-letter-lost-pays-3x-postage",
    ),
]


@pytest.mark.parametrize(("claim", "today", "amount", "incident"), DELAYS)
def test_a_late_registered_item_is_lost_only_when_the_reply_period_ends(
    claim, today, amount, incident
):
    result = quote(claim, DEFAULT_POLICY, today=today, calendar=WorkCalendar())

    assert str(result.amount) == amount
    assert result.applied_incident == incident
    assert not any("视为丢失期限" in s.rule for s in result.steps)  # not the express rule
    assert any(s.source.startswith("邮政法第四十九条") for s in result.steps)


# Posted Tuesday 2025-03-03: a domestic item may be queried until 2026-03-03 (one year).
POSTED = date(2025, 3, 3)

WINDOWS = [
    pytest.param(
        facts(posted_on=POSTED),
        date(2026, 3, 3),
        "1000.00",
        id="邮政法49.1-claim-on-the-last-day-of-the-year",
    ),
    pytest.param(
        facts(posted_on=POSTED),
        date(2026, 3, 4),
        "0.00",
        id="邮政法49.3-no-query-in-a-year",
    ),
    pytest.param(
        facts(posted_on=POSTED, queried_on=date(2026, 3, 3)),
        date(2026, 6, 1),
        "1000.00",
        id="邮政法49.1-queried-on-the-last-day-still-claims",
    ),
    pytest.param(
        facts(posted_on=POSTED, queried_on=date(2026, 3, 4)),
        date(2026, 6, 1),
        "0.00",
        id="邮政法49.3-queried-a-day-late-nothing",
    ),
    # International: 180 days from 2026-01-05 end Saturday 4 July → Monday 6 July (民法典 203).
    pytest.param(
        facts(posted_on=date(2026, 1, 5), international=True),
        date(2026, 7, 6),
        "1000.00",
        id="邮政法49.1-international-180-days-rolled-to-monday",
    ),
    pytest.param(
        facts(posted_on=date(2026, 1, 5), international=True),
        date(2026, 7, 7),
        "0.00",
        id="邮政法49.3-international-day-after-180-days-nothing",
    ),
]


@pytest.mark.parametrize(("claim", "today", "amount"), WINDOWS)
def test_no_query_and_no_claim_within_the_window_means_no_liability(claim, today, amount):
    result = quote(claim, DEFAULT_POLICY, today=today, calendar=WorkCalendar())

    assert str(result.amount) == amount
    if amount == "0.00":
        assert result.steps[-1].source == "邮政法第四十九条第三款"


def test_express_keeps_the_industry_rule_of_deemed_loss():
    # The carrier's "7 days late = lost" (secondary source) is the express industry's own.
    claim = facts(service=Service.EXPRESS, incident=Incident.DELAY, delay_days=8)
    result = quote(claim, DEFAULT_POLICY, today=date(2026, 6, 1))

    assert result.applied_incident == Incident.LOSS
    assert str(result.amount) == "1000.00"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param(
            {"posted_on": date(2026, 3, 10), "queried_on": date(2026, 3, 9)},
            "queried_on",
            id="query-before-posting",
        ),
        pytest.param({"queried_on": date(2026, 6, 2)}, "queried_on", id="query-after-today"),
        pytest.param({"posted_on": date(2026, 6, 2)}, "posted_on", id="posting-after-today"),
    ],
)
def test_it_refuses_impossible_dates(overrides, field):
    with pytest.raises(InvalidFacts) as refused:
        quote(facts(**overrides), DEFAULT_POLICY, today=date(2026, 6, 1))
    assert field in refused.value.errors


# --- Through the quote API (real PostgreSQL) ------------------------------------------------

URL = "/api/v1/compensation/quote/"
INSURED_LOST = {
    "service": "postal_registered",
    "incident": "loss",
    "insured": True,
    "insured_amount": "1000",
    "full_value": "3000",
    "freight": "20.00",
    "limit_clause_shown": True,
}


def test_the_api_pays_the_actual_loss_when_the_limits_are_set_aside(api, alice):
    body = {**INSURED_LOST, "carrier_gross_negligence": True, "actual_loss": "2500"}

    response = api(alice).post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["amount"] == "2500.00"
    assert data["steps"][-1]["source"] == "邮政法第四十七条第二款"
    assert "不得援用保价额" in data["steps"][-1]["rule"]


@pytest.mark.parametrize(
    ("today", "amount"),
    [
        pytest.param("2026-04-09", "20.00", id="邮政法49.2-api-last-day-of-reply-period-delay"),
        pytest.param("2026-04-10", "1000.00", id="邮政法49.2-api-day-after-lost"),
    ],
)
def test_the_api_applies_article_49_with_the_query_date(api, alice, today, amount):
    body = {**INSURED_LOST, "incident": "delay", "delay_days": 12, "queried_on": "2026-03-10"}

    with time_machine.travel(f"{today} 10:00 +0800", tick=False):
        response = api(alice).post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == amount
    assert any(s["source"].startswith("邮政法第四十九条") for s in response.json()["steps"])


def test_the_api_refuses_a_query_date_in_the_future(api, alice):
    body = {**INSURED_LOST, "incident": "delay", "delay_days": 3, "queried_on": "2026-04-11"}

    with time_machine.travel("2026-04-10 10:00 +0800", tick=False):
        response = api(alice).post(URL, body, format="json")

    assert response.status_code == 400
    assert "queried_on" in response.json()["error"]["fields"]


def test_a_claim_keeps_the_query_date_and_runs_the_loss_timer_once_lost(api, alice, complaint_at_a):
    body = {**INSURED_LOST, "incident": "delay", "delay_days": 40, "queried_on": "2026-09-01"}
    url = f"/api/v1/complaints/{complaint_at_a.ticket_no}/claims/"

    with time_machine.travel("2026-10-09 10:00 +0800", tick=False):
        response = api(alice).post(url, body, format="json")

    assert response.status_code == 201, response.json()
    claim = response.json()
    assert claim["quoted_amount"] == "1000.00"
    assert claim["facts"]["queried_on"] == "2026-09-01"
    assert claim["settle_due"] is not None  # a loss: settled within 72 h (seed 003)
