"""The dashboard and the regulator report count the same way (complaints.figures).

Issue: the dashboard showed 有理由投诉率 100 % (12/12: justified ÷ judged) while the regulator
report showed 44.74 % (justified ÷ not rejected) for the same month; and a breach was dated
when the sweep found it, so a day after a paused worker showed every breach of the pause.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from complaints import services
from complaints.figures import JUSTIFIED_RATE_DEFINITION
from dashboard import kpis
from dashboard.periods import Period
from dashboard.rollup import rollup_rebuild, rollup_refresh
from regulators.statistics import monthly_statistics
from tests.dashboard.conftest import T0, H, breach, fresh

NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 12, 1)
WHOLE = kpis.Scope(unit_keys=None)


def dashboard_kpis() -> dict[str, dict]:
    return {r["key"]: r for r in kpis.kpi_table(NOVEMBER, TODAY, WHOLE)}


def regulator_line(stats, label: str):
    summary = next(s for s in stats.sections if s.title == "汇总")
    return dict(summary.rows)[label]


@pytest.fixture
def built(history, time_machine):
    time_machine.move_to("2026-12-01T02:00:00Z", tick=False)
    rollup_rebuild()
    return history


def test_the_justified_rate_is_justified_over_counted_complaints_on_both(built):
    # c1, c2 justified; c3 judged not justified; c6, c7 not judged yet; c4 withdrawn and c5
    # rejected are not 有效投诉. So 2 of 5 — not 2 of 3 (the judged ones).
    row = dashboard_kpis()["justified_rate"]
    assert (row["numerator"], row["denominator"]) == (2, 5)
    assert row["value"] == pytest.approx(0.4)
    stats = monthly_statistics(2026, 11)
    assert regulator_line(stats, "有效投诉") == 5
    assert regulator_line(stats, "有理由投诉率(%)") == Decimal("40.00")


def test_the_definition_is_written_on_the_dashboard_and_in_the_report(built, client, sam):
    client.force_login(sam)
    page = client.get("/dashboard/?period=custom&start=2026-11-01&end=2026-11-30")
    assert page.status_code == 200
    text = page.content.decode()
    assert str(JUSTIFIED_RATE_DEFINITION) in text
    assert 'id="kpi-definitions"' in text
    assert str(JUSTIFIED_RATE_DEFINITION) in monthly_statistics(2026, 11).notes


def test_a_breach_is_dated_by_its_deadline_not_by_when_the_sweep_found_it(
    built, make_complaint, org, alice, time_machine
):
    # Accepted on the 10th; its first-response deadline passed on the 11th while the worker was
    # paused; the sweep came back and wrote the breach on the 14th.
    c8 = make_complaint(at=T0, tracking_no="SF0000000008", phone="13900000008")
    services.complaint_dispatch(complaint=fresh(c8), unit=org["a"], by=alice, now=T0 + 0.1 * H)
    due = T0 + 24 * H
    breach(fresh(c8), "first_response", due, due + timedelta(days=3))
    rollup_refresh()  # the refresher sees the new event and recomputes the days it touches

    trend = {day: breaches for day, _, _, breaches in kpis.daily_trend(NOVEMBER, TODAY, WHOLE)}
    # The history's two breaches of c2 (11th and 13th) and c8's, on the 11th, nothing on the 14th.
    assert trend[date(2026, 11, 11)] == 2
    assert trend[date(2026, 11, 13)] == 1
    assert trend[date(2026, 11, 14)] == 0
