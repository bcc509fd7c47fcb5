"""Every KPI against values computed by hand from the fixed history (tests/dashboard/conftest)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard import kpis, reports
from dashboard.periods import Period
from dashboard.rollup import rollup_rebuild

DAY = date(2026, 11, 10)
TODAY = date(2026, 11, 20)  # the history is in the past: read from the stored rollup
PERIOD = Period("custom", date(2026, 11, 10), date(2026, 11, 16))


WHOLE = kpis.Scope(unit_keys=None)


def table(scope=WHOLE):
    return {r["key"]: r for r in kpis.kpi_table(PERIOD, TODAY, scope)}


@pytest.fixture
def built(history, time_machine):
    time_machine.move_to("2026-11-20T02:00:00Z", tick=False)
    rollup_rebuild()
    return history


def test_it_counts_every_kpi_for_the_whole_company(built):
    t = table()
    # 7 received, 1 rejected (c5), 1 withdrawn (c4): 5 handled.
    assert t["received"]["value"] == 7
    assert t["rejected"]["value"] == 1
    assert t["withdrawn"]["value"] == 1
    # Closed: c1 on the 10th, c2 on the 13th (its first close was undone by the reopen).
    assert t["closed"]["value"] == 2
    # First response decided for c1 (reply), c2 (breach), c3 (contact); c6, c7 still running;
    # c4 withdrawn does not count. On time: c1, c3.
    assert (t["fr_rate"]["numerator"], t["fr_rate"]["denominator"]) == (2, 3)
    # Resolution decided: c1, c2 (breached in round one, on time in no round), c3 (74 h with
    # a 49 h pause: on time). On time: c1, c3.
    assert (t["res_rate"]["numerator"], t["res_rate"]["denominator"]) == (2, 3)
    # Follow-up decided: the closed ones, c1 and c2, both within 24 h of their reply.
    assert (t["fu_rate"]["numerator"], t["fu_rate"]["denominator"]) == (2, 2)
    # Reply validity: c1 accepted at once; c2 was sent back once: 1 of 2.
    assert (t["reply_validity"]["numerator"], t["reply_validity"]["denominator"]) == (1, 2)
    assert t["reply_validity"]["value"] == pytest.approx(0.5)
    # Satisfaction: c1 and c2 satisfied in the end (c2 after its second round): 2 of 2.
    assert (t["satisfaction"]["numerator"], t["satisfaction"]["denominator"]) == (2, 2)
    # Justified: the replies said "true and our fault" for c1, c2; c3 judged not justified;
    # c6 and c7 not judged yet count as not justified (complaints.figures): 2 of the 5 handled.
    assert (t["justified_rate"]["numerator"], t["justified_rate"]["denominator"]) == (2, 5)
    # Repeat c6 of 7 received; escalated c6; via the regulator c6.
    assert (t["repeat_rate"]["numerator"], t["repeat_rate"]["denominator"]) == (1, 7)
    assert (t["escalation_rate"]["numerator"], t["escalation_rate"]["denominator"]) == (1, 7)
    assert (t["appeal_rate"]["numerator"], t["appeal_rate"]["denominator"]) == (1, 7)
    assert t["breaches"]["value"] == 2
    # Handling time of the closed: c1 3 h, c2 83 h → average 43 h; p90 in the 78–84 h bucket.
    assert t["avg_handling"]["value"] == pytest.approx(43.0)
    assert t["p90_handling"]["value"] == 84.0
    # The claim on c2: proposed, approved and paid, ¥60.
    assert t["claims_proposed"]["value"] == 1
    assert t["claims_paid"]["value"] == 1
    assert t["claims_paid_amount"]["value"] == Decimal("60.00") == built["claim_amount"]
    assert t["claims_approved_amount"]["value"] == Decimal("60.00")


def test_it_compares_with_the_previous_period(built):
    t = table()
    # The week before has nothing: rates have no previous value, counts compare with zero.
    assert t["received"]["previous"] == 0
    assert t["received"]["change"] == 7
    assert t["res_rate"]["previous"] is None and t["res_rate"]["change"] is None


def test_it_narrows_to_a_unit_and_a_category(built, org):
    a = table(kpis.Scope(unit_keys=(org["a"].pk,)))
    # Branch A: c1, c2, c6.
    assert a["received"]["value"] == 3
    assert (a["res_rate"]["numerator"], a["res_rate"]["denominator"]) == (1, 2)
    region = table(kpis.Scope(unit_keys=(org["region"].pk, org["a"].pk, org["b"].pk)))
    assert region["received"]["value"] == 5  # c5 and c7 were never dispatched
    loss = table(kpis.Scope(unit_keys=None, category="loss"))
    assert loss["received"]["value"] == 2
    assert (loss["justified_rate"]["numerator"], loss["justified_rate"]["denominator"]) == (0, 1)


def test_it_draws_trend_categories_ranking_and_heatmap(built, org):
    sel = reports.Selection(PERIOD, None, "", reports.UnitTree.load(), TODAY)
    trend = {r["day"]: r for r in reports.trend_rows(sel)}
    assert len(trend) == 7
    assert trend["2026-11-10"] == {"day": "2026-11-10", "received": 7, "closed": 1, "breaches": 0}
    assert trend["2026-11-11"]["breaches"] == 1  # first response, 24 h after acceptance
    assert trend["2026-11-13"]["breaches"] == 1 and trend["2026-11-13"]["closed"] == 1
    cats = {r["category"]: r["received"] for r in reports.category_rows(sel)}
    assert cats == {"delay": 3, "loss": 2, "damage": 1, "other": 1}
    ranking = {r["unit"]: r for r in reports.ranking_rows(sel)}
    # Company-wide the ranking is by region, plus the not-yet-dispatched line.
    assert ranking["测试区域"]["received"] == 5
    assert ranking["测试区域"]["res_rate"] == pytest.approx(2 / 3)
    assert ranking["未下发"]["received"] == 2
    by_branch = {r["unit"]: r for r in reports.ranking_rows(
        reports.Selection(PERIOD, org["region"].pk, "", sel.tree, TODAY)
    )}  # fmt: skip
    assert by_branch["网点甲"]["res_rate"] == pytest.approx(0.5)
    assert by_branch["网点乙"]["res_rate"] == pytest.approx(1.0)
    assert by_branch["网点乙"]["justified_rate"] == pytest.approx(0.0)
    cells = {(d, h): n for d, h, n in kpis.heatmap(PERIOD, TODAY, sel.scope)}
    # 2026-11-10 is a Tuesday; six complaints at 10:00 and c6 at 14:00.
    assert cells[(2, 10)] == 6 and cells[(2, 14)] == 1
    assert sum(cells.values()) == 7


def test_it_shows_today_from_the_rollup_after_the_refresh(history, time_machine):
    """Today's rows are kept by the minute's refresh: every change marked the day dirty."""
    time_machine.move_to("2026-11-10T12:00:00Z", tick=False)
    from dashboard.rollup import rollup_refresh

    today = Period("today", DAY, DAY)
    assert {r["key"]: r for r in kpis.kpi_table(today, DAY, WHOLE)}["received"]["value"] == 0
    rollup_refresh()
    t = {r["key"]: r for r in kpis.kpi_table(today, DAY, WHOLE)}
    assert t["received"]["value"] == 7
    assert t["closed"]["value"] == 1  # c1 on the 10th; c2's closes were days later


def test_it_reads_whole_months_from_the_monthly_table(built, time_machine):
    """A long period reads whole past months from the monthly rows: the same figures."""
    time_machine.move_to("2026-12-05T02:00:00Z", tick=False)
    today = date(2026, 12, 5)
    november = Period("month", date(2026, 11, 1), date(2026, 11, 30))
    assert kpis.segments(november.first, november.last, today) == [
        ("monthly", date(2026, 11, 1), date(2026, 11, 1))
    ]
    by_month = {r["key"]: r for r in kpis.kpi_table(november, today, WHOLE)}
    by_day = {r["key"]: r for r in kpis.kpi_table(PERIOD, today, WHOLE)}
    for key in ("received", "fr_rate", "res_rate", "reply_validity", "p90_handling",
                "claims_paid_amount", "breaches", "closed"):  # fmt: skip
        assert by_month[key]["value"] == by_day[key]["value"], key
    cells = {(d, h): n for d, h, n in kpis.heatmap(november, today, WHOLE)}
    assert cells[(2, 10)] == 6 and cells[(2, 14)] == 1 and sum(cells.values()) == 7
    # Mixed: days of October around a whole November, and December's days up to today.
    long = Period("custom", date(2026, 10, 20), date(2026, 12, 5))
    assert [k for k, *_ in kpis.segments(long.first, long.last, today)] == [
        "daily", "monthly", "daily"
    ]  # fmt: skip
    assert {r["key"]: r for r in kpis.kpi_table(long, today, WHOLE)}["received"]["value"] == 7
    # Longer than 92 days: the trend is drawn per month.
    half_year = Period("custom", date(2026, 6, 1), date(2026, 12, 5))
    sel = reports.Selection(half_year, None, "", reports.UnitTree.load(), today)
    trend = {r["day"]: r for r in reports.trend_rows(sel)}
    assert list(trend) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11",
                           "2026-12"]  # fmt: skip
    assert trend["2026-11"]["received"] == 7 and trend["2026-11"]["closed"] == 2
