"""Monthly regulator statistics, checked against figures computed by hand."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from complaints import services as complaint_services
from regulators import services
from regulators.statistics import (
    _compensation_model,
    monthly_statistics,
    rate,
    to_csv,
    to_xlsx,
)
from tests.conftest import GOOD_REPLY
from tests.regulators.conftest import new_appeal, sh

NOT_OUR_FAULT = dataclasses.replace(GOOD_REPLY, facts_confirmed=False, our_fault=False)


@pytest.fixture
def november(make_complaint, alice, bob, carol, sam, org, now):
    """Five complaints and three appeals in November 2026, one complaint in October.

    c1 delay/网点甲: answered after 1 h (on time), justified, appealed (report on time)
    c2 delay/网点甲: dispatched, never answered
    c3 loss/网点乙: rejected (not a valid complaint)
    c4 loss/网点乙: answered after 8 days (late), not justified, appealed (report late)
    c6 damage/no unit: created by an appeal on 20 Nov, which is then withdrawn
    """
    c1 = make_complaint(tracking_no="T1", phone="13800000001", category="delay")
    c2 = make_complaint(tracking_no="T2", phone="13800000002", category="delay")
    c3 = make_complaint(tracking_no="T3", phone="13800000003", category="loss", unit_code="B")
    c4 = make_complaint(tracking_no="T4", phone="13800000004", category="loss")
    make_complaint(tracking_no="T5", phone="13800000005", at=sh(2026, 10, 31, 23, 59))
    for complaint, unit in ((c1, org["a"]), (c2, org["a"]), (c4, org["b"])):
        complaint_services.complaint_dispatch(complaint=complaint, unit=unit, by=alice, now=now)
    complaint_services.complaint_reject(complaint=c3, by=alice, reason="超出范围", now=now)
    c1.refresh_from_db()
    complaint_services.complaint_reply(
        complaint=c1, by=bob, reply=GOOD_REPLY, now=now + timedelta(hours=1)
    )
    c4.refresh_from_db()
    complaint_services.complaint_reply(
        complaint=c4, by=carol, reply=NOT_OUR_FAULT, now=now + timedelta(days=8)
    )

    x = services.appeal_register(
        data=new_appeal(case_no="SG-X", tracking_no="T1", received_at=now), by=sam, now=now
    )
    services.appeal_send_report(appeal=x, by=sam, via="系统", now=now + timedelta(days=1))
    y_at = sh(2026, 11, 20, 10)
    y = services.appeal_register(
        data=new_appeal(
            case_no="SG-Y",
            tracking_no="T6",
            appellant_phone="13800000006",
            category="damage",
            received_at=y_at,
            province="ZJ",
        ),
        by=sam,
        now=y_at,
    )
    services.appeal_close(appeal=y, by=sam, outcome="withdrawn", now=y_at + timedelta(days=1))
    z_at = sh(2026, 11, 25, 10)
    z = services.appeal_register(
        data=new_appeal(case_no="SG-Z", tracking_no="T4", received_at=z_at), by=sam, now=z_at
    )
    services.appeal_send_report(
        appeal=z, by=sam, via="系统", now=z.company_report_due + timedelta(hours=1)
    )
    # An appeal received in December does not count in November.
    services.appeal_register(
        data=new_appeal(case_no="SG-DEC", tracking_no="T2", received_at=sh(2026, 12, 1, 0, 0)),
        by=sam,
        now=sh(2026, 12, 1, 1),
    )


def _section(stats, title):
    return next(s for s in stats.sections if s.title == title)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 4, Decimal("25.00")), (1, 3, Decimal("33.33")), (2, 3, Decimal("66.67")), (0, 0, None)],
)
def test_it_rounds_rates_half_up_to_two_places(part, whole, expected):
    assert rate(part, whole) == expected


def test_it_computes_the_summary_by_hand(november):
    summary = dict(_section(monthly_statistics(2026, 11), "汇总").rows)
    assert summary == {
        "投诉量": 5,
        "有效投诉": 4,  # c3 was rejected
        "7日答复及时率(%)": Decimal("25.00"),  # c1 of 4
        "首次响应及时率(%)": Decimal("25.00"),  # c1 of 4
        "有理由投诉率(%)": Decimal("25.00"),  # c1 of 4
        "申诉量": 3,  # X, Y, Z (not the December one)
        "申诉报告及时率(%)": Decimal("33.33"),  # X of 3
        "申诉率(每百件有效投诉)": Decimal("75.00"),
        # Nothing was paid; without the compensation app's claims the figure says it is missing.
        "赔偿金额(元)": Decimal("0.00") if _compensation_model() else "—（赔偿模块未启用）",
    }


def test_it_breaks_complaints_down_by_category_unit_and_outcome(november):
    stats = monthly_statistics(2026, 11)
    by_category = {row[0]: row[1:] for row in _section(stats, "投诉·按类别").rows}
    # received, valid, answered on time, rate, first-response rate, justified, rate, closed,
    # satisfied
    assert by_category == {
        "损毁": (1, 1, 0, Decimal("0.00"), Decimal("0.00"), 0, Decimal("0.00"), 0, 0),
        "延误": (2, 2, 1, Decimal("50.00"), Decimal("50.00"), 1, Decimal("50.00"), 0, 0),
        "丢失": (2, 1, 0, Decimal("0.00"), Decimal("0.00"), 0, Decimal("0.00"), 0, 0),
    }
    by_unit = {row[0]: row[1:3] for row in _section(stats, "投诉·按责任单位").rows}
    assert by_unit == {"网点甲": (2, 2), "网点乙": (2, 1), "未下发": (1, 1)}
    by_status = dict(_section(stats, "投诉·按处理结果").rows)
    assert by_status == {"受理": 1, "核实": 1, "反馈": 2, "不予受理": 1}


def test_it_breaks_appeals_down_by_category_outcome_and_province(november):
    stats = monthly_statistics(2026, 11)
    by_category = {row[0]: row[1:] for row in _section(stats, "申诉·按类别").rows}
    # appeals, reported, reported on time, rate, closed
    assert by_category == {
        "损毁": (1, 0, 0, Decimal("0.00"), 1),
        "延误": (1, 1, 1, Decimal("100.00"), 0),
        "丢失": (1, 1, 0, Decimal("0.00"), 0),
    }
    assert dict(_section(stats, "申诉·按办结结果").rows) == {"办理中": 2, "用户撤回申诉": 1}
    by_province = {row[0]: row[1] for row in _section(stats, "申诉·按转办省份").rows}
    assert by_province == {"广东": 2, "浙江": 1}


def test_it_aggregates_in_a_fixed_number_of_queries(november, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        monthly_statistics(2026, 11)


def test_it_exports_csv_and_excel_with_the_same_figures(november, tmp_path):
    stats = monthly_statistics(2026, 11)
    raw = to_csv(stats)
    assert raw.startswith("\ufeff".encode())  # Excel needs the BOM for Chinese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["监管统计报表 2026年11月"]
    assert ["7日答复及时率(%)", "25.00"] in rows

    workbook = load_workbook(io.BytesIO(to_xlsx(stats)))
    assert workbook.sheetnames[:2] == ["汇总", "投诉-按类别"]
    summary = {row[0]: row[1] for row in workbook["汇总"].iter_rows(min_row=3, values_only=True)}
    assert summary["申诉量"] == 3 and summary["申诉报告及时率(%)"] == pytest.approx(33.33)

    target = tmp_path / "nov.xlsx"
    call_command("regulator_statistics", month="2026-11", format="xlsx", output=str(target))
    assert load_workbook(target)["汇总"]["B3"].value == 5
