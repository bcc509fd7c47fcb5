"""The State Post Bureau's figures (issue 23), on PostgreSQL: the worked example, missing volume,
the problem-type mapping, the 逾期 table and the periods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from complaints.models import Complaint
from regulators import bureau, indicators
from regulators.models import Appeal, AppealOutcome, ParcelVolume, ProblemTypeMapping
from tests.regulators.conftest import sh

pytestmark = pytest.mark.django_db

NOVEMBER = bureau.Period(bureau.MONTH, 2026, 11)
COMPANY = indicators.Scope(label="全公司")


def volume(month: date, parcels: int, **scope) -> ParcelVolume:
    return ParcelVolume.objects.create(month=month, parcels=parcels, source="admin", **scope)


def appeals(register, n: int, *, start: int = 0, **overrides) -> list[Appeal]:
    """n appeals received in November 2026, each about its own waybill."""
    made = []
    for i in range(start, start + n):
        fields = {
            "case_no": f"SG2026-{i:04d}",
            "tracking_no": f"TEST{i:08d}",
            "appellant_phone": f"139000{i:05d}",
            "received_at": sh(2026, 11, 16, 9),
        }
        fields.update(overrides)
        made.append(register(**fields))
    return made


def judge(appeal_list, *, justified=True):
    Complaint.objects.filter(pk__in=[a.complaint_id for a in appeal_list]).update(
        justified=justified
    )


def close_as(appeal_list, outcome):
    # Only the outcome matters to the figures; the closing itself is tested in test_appeals.
    Appeal.objects.filter(pk__in=[a.pk for a in appeal_list]).update(
        outcome=outcome, state="closed"
    )


@pytest.fixture
def worked_example(register, now):
    """The issue's example: 40,000,000 parcels, 66 appeals, 4 有责, 3 of those satisfied."""
    volume(date(2026, 11, 1), 40_000_000)
    made = appeals(register, 66)
    at_fault = made[:4]
    judge(at_fault)
    close_as(at_fault[:2], AppealOutcome.MEDIATED)
    close_as(at_fault[2:3], AppealOutcome.RESOLVED)
    close_as(at_fault[3:], AppealOutcome.MEDIATION_FAILED)
    # Satisfied but not 有责: counts in no satisfaction figure.
    close_as(made[4:6], AppealOutcome.RESOLVED)
    return made


def test_the_worked_example_comes_out_exactly(worked_example):
    f = indicators.figures(NOVEMBER, COMPANY)

    assert (f.volume.parcels, f.appeals, f.effective, f.satisfied) == (40_000_000, 66, 4, 3)
    assert f.appeal_rate == Decimal("1.65")
    assert f.effective_rate == Decimal("0.10")
    assert f.satisfaction == Decimal("75.0")


def test_an_appeal_the_regulator_did_not_accept_is_not_counted(worked_example):
    close_as(worked_example[10:11], AppealOutcome.NOT_ACCEPTED)

    f = indicators.figures(NOVEMBER, COMPANY)

    assert f.appeals == 65
    assert f.appeal_rate == Decimal("1.63")  # 65 ÷ 40 = 1.625, rounded half up


def test_missing_volume_gives_no_rate_and_says_which_month(register, now):
    appeals(register, 3)

    rep = indicators.report(NOVEMBER, COMPANY, now)

    assert rep.current.volume.parcels is None
    assert rep.current.appeal_rate is None and rep.current.effective_rate is None
    assert rep.current.complaint_rate is None
    assert "缺少 2026-11 的业务量" in rep.notes[0]
    assert all(t.appeal_rate is None for t in rep.types)


def test_a_quarter_with_a_month_missing_has_no_volume():
    volume(date(2026, 10, 1), 30_000_000)
    volume(date(2026, 11, 1), 40_000_000)

    v = indicators.volume(bureau.Period(bureau.QUARTER, 2026, 4), COMPANY)

    assert v.parcels is None
    assert v.missing == (date(2026, 12, 1),)


def test_the_company_volume_falls_back_to_the_sum_of_its_provinces():
    volume(date(2026, 11, 1), 25_000_000, province="GD")
    volume(date(2026, 11, 1), 15_000_000, province="ZJ")

    v = indicators.volume(NOVEMBER, COMPANY)

    assert (v.parcels, v.from_provinces) == (40_000_000, True)


def test_a_province_counts_its_own_appeals_over_its_own_volume(register):
    volume(date(2026, 11, 1), 2_000_000, province="ZJ")
    appeals(register, 3, province="ZJ")
    appeals(register, 5, start=10, province="GD")

    f = indicators.figures(NOVEMBER, indicators.Scope("province", province="ZJ"))

    assert (f.appeals, f.appeal_rate) == (3, Decimal("1.50"))
    assert f.complaints is None  # complaints carry no province: no 投诉率 by province


def test_the_complaint_rate_counts_valid_complaints_per_million(make_complaint, now):
    volume(date(2026, 11, 1), 4_000_000)
    for i in range(6):
        make_complaint(tracking_no=f"TC{i}", phone=f"1390000001{i}")

    f = indicators.figures(NOVEMBER, COMPANY)

    assert (f.complaints, f.complaint_rate) == (6, Decimal("1.50"))


# --- The problem-type mapping ---------------------------------------------------------------

# (complaint category, the bureau's problem type under the default mapping)
DEFAULT_TYPES = [
    ("delay", "delay"),
    ("loss", "loss_short"),
    ("short", "loss_short"),
    ("damage", "damage"),
    ("misdelivery", "delivery"),
    ("attitude", "delivery"),
    ("fee", "illegal_fee"),
    ("other", "other"),
]


@pytest.mark.parametrize(("category", "problem_type"), DEFAULT_TYPES)
def test_the_default_mapping(category, problem_type):
    assert bureau.problem_type_of(category, {}) == problem_type


def test_the_migration_seeded_the_default_mapping(db):
    assert dict(ProblemTypeMapping.objects.values_list("category", "problem_type")) == dict(
        DEFAULT_TYPES
    )


def test_every_appeal_counts_under_exactly_one_type_and_the_mapping_is_editable(register):
    volume(date(2026, 11, 1), 10_000_000)
    appeals(register, 2, category="attitude")
    appeals(register, 3, start=10, category="short")
    appeals(register, 1, start=20, category="other")

    by_type = {t.problem_type: t.appeals for t in indicators.by_problem_type(NOVEMBER, COMPANY, 1)}
    assert by_type["delivery"] == 2 and by_type["loss_short"] == 3 and by_type["other"] == 1
    assert sum(by_type.values()) == 6
    assert list(by_type) == [t.value for t in bureau.ProblemType]  # the bureau's order, all

    ProblemTypeMapping.objects.filter(category="attitude").update(problem_type="pickup")
    by_type = {t.problem_type: t.appeals for t in indicators.by_problem_type(NOVEMBER, COMPANY, 1)}
    assert (by_type["delivery"], by_type["pickup"], sum(by_type.values())) == (0, 2, 6)


def test_a_category_missing_from_the_table_counts_under_its_default(register):
    ProblemTypeMapping.objects.filter(category="delay").delete()
    appeals(register, 2, category="delay")

    by_type = {t.problem_type: t.appeals for t in indicators.by_problem_type(NOVEMBER, COMPANY, 1)}

    assert by_type["delay"] == 2


# --- 逾期件数, company × province -----------------------------------------------------------


def test_the_overdue_table_counts_reports_late_or_unsent_past_their_deadline(register, sam, org):
    on_time, late, _unsent, not_yet = appeals(register, 4, province="GD")
    elsewhere = appeals(register, 1, start=10, province="ZJ")[0]
    due = on_time.company_report_due
    Appeal.objects.filter(pk=on_time.pk).update(report_sent_at=due - timedelta(hours=1))
    Appeal.objects.filter(pk=late.pk).update(report_sent_at=due + timedelta(hours=1))
    Appeal.objects.filter(pk=not_yet.pk).update(company_report_due=due + timedelta(days=30))
    Appeal.objects.filter(pk=elsewhere.pk).update(report_sent_at=due + timedelta(days=1))
    # Two of them are the company's (dispatched under its branch), the rest not dispatched.
    Complaint.objects.filter(pk__in=[late.complaint_id, elsewhere.complaint_id]).update(
        unit=org["a"]
    )

    table = indicators.overdue_table(NOVEMBER, due + timedelta(minutes=1))

    assert table.provinces == [("ZJ", "浙江"), ("GD", "广东")]  # the bureau's province order
    cells = {
        name: dict(zip([p for p, _ in table.provinces], row, strict=True))
        for name, row, _t in table.rows
    }
    assert cells["测试公司"] == {"GD": 1, "ZJ": 1}  # late ; elsewhere late
    assert cells["未下发"] == {"GD": 1, "ZJ": 0}  # unsent past due; on_time and not_yet are not
    assert (table.forwarded, table.overdue) == (5, 3)


# --- Periods, month-on-month and year-on-year ------------------------------------------------

PERIODS = [
    ("2026-11", "2026-10", "2025-11", "2026年11月"),
    ("2026-01", "2025-12", "2025-01", "2026年1月"),
    ("2026-Q1", "2025-Q4", "2025-Q1", "2026年第1季度"),
    ("2026-Q3", "2026-Q2", "2025-Q3", "2026年第3季度"),
    ("2026", "2025", "2025", "2026年"),
]


@pytest.mark.parametrize(("key", "previous", "year_before", "label"), PERIODS)
def test_periods(key, previous, year_before, label):
    p = bureau.parse_period(key)
    assert (p.key, p.previous().key, p.year_before().key, p.label) == (
        key,
        previous,
        year_before,
        label,
    )


@pytest.mark.parametrize("text", ["", "2026-13", "2026-Q5", "1999", "abc", "2026-11-02x"])
def test_a_bad_period_is_refused_in_chinese(text):
    with pytest.raises(bureau.PeriodError, match=r"周期|月份|年份"):
        bureau.parse_period(text)


def test_month_on_month_and_year_on_year(register):
    volume(date(2026, 11, 1), 10_000_000)
    volume(date(2026, 10, 1), 10_000_000)
    appeals(register, 12)
    appeals(register, 10, start=100, received_at=sh(2026, 10, 20, 9))

    rep = indicators.report(NOVEMBER, COMPANY, sh(2026, 12, 1))
    rate = rep.comparisons[0]

    assert (rate.key, rate.current, rate.previous) == (
        "appeal_rate",
        Decimal("1.20"),
        Decimal("1.00"),
    )
    assert rate.mom == Decimal("20.0")
    assert rate.year_before is None and rate.yoy is None  # no volume for November 2025


@pytest.mark.parametrize(
    ("count", "parcels", "expected"),
    [
        (66, 40_000_000, Decimal("1.65")),
        (4, 40_000_000, Decimal("0.10")),
        (1, 3_000_000, Decimal("0.33")),
        (5, 0, None),  # a zero volume is missing, never infinity
        (0, None, None),
    ],
)
def test_per_million(count, parcels, expected):
    assert bureau.per_million(count, parcels) == expected
