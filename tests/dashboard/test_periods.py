"""Reporting periods and their comparison periods (pure date arithmetic)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.kpis import percentile_hours
from dashboard.models import HANDLING_BUCKETS
from dashboard.periods import PeriodError, period_from
from dashboard.templatetags.dashboard import kpi_change, kpi_value, minutes_text

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("kind", "extra", "first", "last", "prev_first", "prev_last"),
    [
        ("today", {}, "2026-11-28", "2026-11-28", "2026-11-27", "2026-11-27"),
        ("7d", {}, "2026-11-22", "2026-11-28", "2026-11-15", "2026-11-21"),
        ("30d", {}, "2026-10-30", "2026-11-28", "2026-09-30", "2026-10-29"),
        # The current month so far is compared with the whole previous month.
        ("month", {}, "2026-11-01", "2026-11-28", "2026-10-01", "2026-10-31"),
        ("month", {"month": "2026-02"}, "2026-02-01", "2026-02-28", "2026-01-01", "2026-01-31"),
        ("month", {"month": "2024-03"}, "2024-03-01", "2024-03-31", "2024-02-01", "2024-02-29"),
        ("custom", {"start": "2026-11-10", "end": "2026-11-16"},
         "2026-11-10", "2026-11-16", "2026-11-03", "2026-11-09"),
    ],
)  # fmt: skip
def test_it_computes_the_period_and_the_one_before(kind, extra, first, last, prev_first, prev_last):
    period = period_from(kind=kind, today=TODAY, **extra)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)
    prev = period.previous()
    assert (prev.first.isoformat(), prev.last.isoformat()) == (prev_first, prev_last)


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        ("week", {}, "统计周期无效"),
        ("custom", {"start": "2026-11-16", "end": "2026-11-10"}, "不能晚于"),
        ("custom", {"start": "2020-01-01", "end": "2026-11-10"}, "最长"),
        ("custom", {"start": "x", "end": "2026-11-10"}, "YYYY-MM-DD"),
        ("month", {"month": "2026-13"}, "YYYY-MM"),
    ],
)
def test_it_refuses_bad_periods_with_a_clear_message(kind, extra, message):
    with pytest.raises(PeriodError, match=message):
        period_from(kind=kind, today=TODAY, **extra)


@pytest.mark.parametrize(
    ("hours", "p90"),
    [
        ([3, 83], 84.0),  # the bucket (78, 84]
        ([1] * 9 + [500], 1.0),  # 90 % within the first hour
        ([1000], float(HANDLING_BUCKETS[-1])),  # beyond the last bound: the last bound
        ([], None),
    ],
)
def test_it_reads_p90_from_the_histogram(hours, p90):
    hist = [0] * (len(HANDLING_BUCKETS) + 1)
    for h in hours:
        idx = next((i for i, b in enumerate(HANDLING_BUCKETS) if h <= b), len(HANDLING_BUCKETS))
        hist[idx] += 1
    assert percentile_hours(hist) == p90


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [(0.6667, "rate", "66.7%"), (None, "rate", "—"), (1234, "count", "1,234"),
     (43.0, "hours", "43.0")],
)  # fmt: skip
def test_it_formats_figures(value, kind, text):
    assert kpi_value(value, kind) == text


def test_it_formats_changes_and_time_left():
    assert kpi_change(0.05, "rate") == "+5.0个百分点"
    assert kpi_change(-3, "count") == "-3"
    assert minutes_text(125) == "2小时5分"
    assert minutes_text(-(2 * 24 * 60 + 4 * 60)) == "已超 2天4小时"
