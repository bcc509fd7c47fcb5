"""Scorecards per unit and per person per month, the drill-down, the formula-safe export, and
the dashboard's unit ranking sorted by the ledger."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from complaints import services
from complaints.models import Complaint, Unit
from rulings.scorecard import person_scores, unit_scores
from tests.conftest import _user

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def month(answered, rule_it, hub, eddie, alice, now):
    """November: two charges to B-EAST-1 (one on eddie), one to the hub; one satisfied and one
    unsatisfied follow-up at B-EAST-1, and one complaint still unanswered past its deadline."""
    first = answered()
    rule_it(first, person_id=eddie.pk)
    second = answered(tracking_no="ZT0000000002", phone="13900000002", category="loss")
    rule_it(second)
    third = answered(tracking_no="ZT0000000003", phone="13900000003")
    rule_it(third, stage="hub", unit_id=hub.pk)
    services.complaint_record_follow_up(
        complaint=first, by=alice, outcome="satisfied", now=now + timedelta(hours=5)
    )
    services.complaint_record_follow_up(
        complaint=second,
        by=alice,
        outcome="unsatisfied",
        customer_words="不满意",
        now=now + timedelta(hours=5),
    )
    services.complaint_record_follow_up(
        complaint=third, by=alice, outcome="satisfied", now=now + timedelta(hours=5)
    )
    return first, second, third


def test_the_unit_scorecard_of_the_month(month, sam, east, hub, now):
    with time_machine.travel(now + timedelta(hours=6), tick=False):
        rows = {s.code: s for s in unit_scores(month=NOVEMBER, by=sam)}
    e = rows["B-EAST-1"]
    assert (e.justified, e.amount, e.points) == (2, D("250.00"), D("7.0"))
    # The three complaints were handled by B-EAST-1 (the hub was at fault for the third):
    # satisfaction is the handling unit's. The unsatisfied one is back in 核实 with a new
    # resolution deadline ahead, so nothing is overdue yet.
    assert (e.sat_base, e.sat_yes, round(e.satisfaction, 3)) == (3, 2, 0.667)
    assert e.overdue == 0
    assert rows["HUB-1"].amount == D("80.00")
    assert list(rows) == ["B-EAST-1", "HUB-1"]  # the larger amount first


def test_a_branch_sees_only_its_own_unit_and_people(month, erin, hank):
    assert [s.code for s in unit_scores(month=NOVEMBER, by=hank)] == ["HUB-1"]
    assert person_scores(month=NOVEMBER, by=hank) == []
    [eddie] = person_scores(month=NOVEMBER, by=erin)
    assert (eddie.code, eddie.justified, eddie.amount) == ("eddie", 1, D("50.00"))


def test_an_overdue_reply_counts(answered, sam, east, now):
    complaint = answered()
    Complaint.objects.filter(pk=complaint.pk).update(
        answered_at=complaint.resolution_due + timedelta(minutes=1)
    )
    [e] = [s for s in unit_scores(month=NOVEMBER, by=sam) if s.code == "B-EAST-1"]
    assert e.overdue == 1


def test_the_scorecard_page_and_its_drill_down(month, client, sam, east):
    client.force_login(sam)
    page = client.get("/rulings/scorecard/?month=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert "东区第一营业部" in html and "250.00" in html
    drill = client.get(f"/rulings/scorecard/unit/{east.pk}/?month=2026-11")
    assert drill.status_code == 200
    assert drill.content.decode().count('data-kind="charge"') == 2
    assert client.get("/rulings/scorecard/?month=2026-13").status_code == 200  # message shown


def test_a_branch_cannot_drill_into_another_unit(month, client, hank, east):
    client.force_login(hank)
    assert client.get(f"/rulings/scorecard/unit/{east.pk}/?month=2026-11").status_code == 404


def test_the_export_is_formula_safe(month, client, sam, east):
    Unit.objects.filter(pk=east.pk).update(name='=HYPERLINK("http://example.invalid","点击")')
    client.force_login(sam)
    response = client.get("/rulings/scorecard/export.xlsx?month=2026-11")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["单位考核", "个人考核", "台账明细", "说明"]
    units = book["单位考核"]
    cell = units["A3"]
    assert cell.value == '=HYPERLINK("http://example.invalid","点击")'
    assert cell.data_type == "s" and cell.quotePrefix
    assert units["D3"].value == 250 and units["D3"].number_format == "#,##0.00"
    assert book["台账明细"].max_row == 2 + 3  # heading, header, three entries


def test_only_supervisors_export(month, client, erin):
    client.force_login(erin)
    assert client.get("/rulings/scorecard/export.xlsx?month=2026-11").status_code == 403


def test_the_dashboard_ranking_sorts_by_the_ledger(month, client, sam):
    client.force_login(sam)
    body = client.get(
        "/dashboard/api/ranking.json?period=custom&start=2026-11-01&end=2026-11-30&sort=assessment"
    ).json()
    amounts = [r["assessment_amount"] for r in body["ranking"]]
    assert body["sort"] == "assessment"
    assert amounts == sorted(amounts, key=Decimal, reverse=True)
    assert "330.00" in {r["assessment_amount"] for r in body["ranking"]} or sum(
        Decimal(a) for a in amounts
    ) == D("330.00")
    refused = client.get("/dashboard/api/ranking.json?sort=sideways")
    assert refused.status_code == 400


def test_a_person_of_another_unit_is_not_in_a_branch_drill_down(month, client, erin, hank):
    other = _user("olga", "branch", Unit.objects.get(code="HUB-1"))
    client.force_login(erin)
    assert client.get(f"/rulings/scorecard/person/{other.pk}/?month=2026-11").status_code == 404


def test_the_example_month_of_docs_rulings(answered, rule_it, hub, eddie, erin, sam, now):
    """docs/rulings.md, “An example month”: the same events give the same scorecard."""
    from rulings import services as rulings
    from tests.rulings.conftest import photo

    first = rule_it(answered(), person_id=eddie.pk)
    rule_it(answered(tracking_no="ZT0000000002", phone="13900000002", category="loss"))
    rule_it(answered(tracking_no="ZT0000000003", phone="13900000003"), stage="hub", unit_id=hub.pk)
    dispute = rulings.dispute_file(
        ruling=first, by=erin, reason="签收底单。", uploads=[photo()], now=now + timedelta(days=1)
    )
    rulings.dispute_decide(
        dispute=dispute, by=sam, outcome="overturn", reason="属实。", now=now + timedelta(days=2)
    )
    repeat = answered(
        tracking_no="ZT0000000002",
        phone="13900000009",
        category="loss",
        channel="regulator",
        at=now + timedelta(days=4),
    )
    rule_it(repeat, at=now + timedelta(days=4, hours=3))

    rows = {s.code: s for s in unit_scores(month=NOVEMBER, by=sam)}
    e, h = rows["B-EAST-1"], rows["HUB-1"]
    assert (e.justified, e.amount, e.points, e.disputes_won, e.disputes_lost) == (
        2,
        D("500.00"),
        D("13.0"),
        1,
        0,
    )
    assert (h.justified, h.amount, h.points) == (1, D("80.00"), D("3.0"))
    [person] = person_scores(month=NOVEMBER, by=sam)
    assert (person.code, person.justified, person.amount, person.points) == (
        "eddie",
        0,
        D("0.00"),
        D("0.0"),
    )
