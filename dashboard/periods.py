"""Reporting periods: pure date arithmetic, no Django import.

A period is a closed range of Asia/Shanghai calendar days. The previous period, for the
comparison next to each figure, is the same number of days just before it — except a calendar
month, which is compared with the whole previous calendar month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("today", "7d", "30d", "month", "custom")
# A custom range may span at most this many days (two years of history and some).
MAX_DAYS = 800
# Dates outside these years are typing mistakes (and would overflow date arithmetic).
MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """The period in the request cannot be used; the message is shown to the user."""


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return Period("month", last.replace(day=1), last)
        return Period(
            self.kind, self.first - timedelta(days=self.days), self.first - timedelta(days=1)
        )

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"


def _in_range(day: date) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PeriodError(f"日期须在{MIN_YEAR}年至{MAX_YEAR}年之间。")
    return day


def _parse_day(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise PeriodError(f"{what}格式应为 YYYY-MM-DD。") from None
    return _in_range(day)


def period_from(
    *, kind: str | None, today: date, start: str = "", end: str = "", month: str = ""
) -> Period:
    """Build the period the user asked for; month is "YYYY-MM" (default: the current month)."""
    kind = kind or "7d"
    if kind not in KINDS:
        raise PeriodError("统计周期无效。")
    if kind == "today":
        return Period(kind, today, today)
    if kind == "7d":
        return Period(kind, today - timedelta(days=6), today)
    if kind == "30d":
        return Period(kind, today - timedelta(days=29), today)
    if kind == "month":
        if month:
            try:
                year, mon = (int(x) for x in month.split("-"))
                first = date(year, mon, 1)
            except (TypeError, ValueError):
                raise PeriodError("月份格式应为 YYYY-MM。") from None
            _in_range(first)
        else:
            first = today.replace(day=1)
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period(kind, first, min(nxt - timedelta(days=1), max(today, first)))
    first, last = _parse_day(start, "开始日期"), _parse_day(end, "结束日期")
    if first > last:
        raise PeriodError("开始日期不能晚于结束日期。")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"自定义周期最长{MAX_DAYS}天。")
    return Period(kind, first, last)
