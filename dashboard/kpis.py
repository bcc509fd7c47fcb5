"""KPIs, chart series and unit rankings, each one SQL aggregation over the daily rollup.

Any period reads at most tens of thousands of small rollup rows, never the complaints. Each KPI
is defined once, in KPIS below; see docs/dashboard.md, "KPI definitions".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from complaints.figures import JUSTIFIED_RATE_DEFINITION

from .models import HANDLING_BUCKETS, DailyRollup, MonthlyRollup
from .periods import Period
from .rollup import next_month

TABLE = DailyRollup._meta.db_table
MONTHLY = MonthlyRollup._meta.db_table
# Up to this many days the trend is drawn per day; longer periods per month.
DAILY_TREND_MAX_DAYS = 92
SUMMED = (
    "received", "rejected", "withdrawn", "handled", "urgent",
    "fr_decided", "fr_on_time", "res_decided", "res_on_time", "fu_decided", "fu_on_time",
    "justified_yes", "sat_base", "sat_yes", "reply_judged", "reply_valid",
    "repeats", "escalated", "appealed", "closed_cohort", "handling_seconds",
    "closed", "breaches", "claims_proposed", "claims_proposed_amount", "claims_approved",
    "claims_approved_amount", "claims_paid", "claims_paid_amount",
)  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    kind: str  # "count", "rate", "money", "hours"
    num: str = ""
    den: str = ""
    # Higher is better (green when it rises) or worse (red when it rises).
    higher_is_better: bool = True
    # How it is counted, where a reader could count it another way (shown on the page).
    definition: str = ""


KPIS: tuple[Kpi, ...] = (
    Kpi("received", _("受理量"), "count", "received"),
    Kpi("closed", _("闭环量"), "count", "closed"),
    Kpi("fr_rate", _("首次响应及时率"), "rate", "fr_on_time", "fr_decided"),
    Kpi("res_rate", _("处理及时率"), "rate", "res_on_time", "res_decided"),
    Kpi("fu_rate", _("回访及时率"), "rate", "fu_on_time", "fu_decided"),
    Kpi("reply_validity", _("答复有效率"), "rate", "reply_valid", "reply_judged"),
    Kpi("satisfaction", _("满意率"), "rate", "sat_yes", "sat_base"),
    Kpi("justified_rate", _("有理由投诉率"), "rate", "justified_yes", "handled", False,
        JUSTIFIED_RATE_DEFINITION),
    Kpi("repeat_rate", _("重复投诉率"), "rate", "repeats", "received", False),
    Kpi("escalation_rate", _("投诉升级率"), "rate", "escalated", "received", False),
    Kpi("appeal_rate", _("申诉（监管转办）率"), "rate", "appealed", "received", False),
    Kpi("breaches", _("超时事件"), "count", "breaches", higher_is_better=False),
    Kpi("avg_handling", _("平均处理时长（小时）"), "hours", "handling_seconds", "closed_cohort",
        False),
    Kpi("p90_handling", _("P90处理时长（小时）"), "hours", higher_is_better=False),
    Kpi("claims_proposed", _("赔偿申请（件）"), "count", "claims_proposed"),
    Kpi("claims_proposed_amount", _("赔偿申请金额（元）"), "money", "claims_proposed_amount"),
    Kpi("claims_approved_amount", _("赔偿批准金额（元）"), "money", "claims_approved_amount"),
    Kpi("claims_paid", _("已赔付（件）"), "count", "claims_paid"),
    Kpi("claims_paid_amount", _("已赔付金额（元）"), "money", "claims_paid_amount"),
    Kpi("rejected", _("不予受理"), "count", "rejected", higher_is_better=False),
    Kpi("withdrawn", _("撤诉"), "count", "withdrawn", higher_is_better=False),
)  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """Which units' figures: None = the whole company (including not-yet-dispatched)."""

    unit_keys: tuple[int, ...] | None
    category: str = ""


def segments(first: date, last: date, today: date, *, months: bool = True) -> list[tuple]:
    """Split a range into what to read: ("monthly", first_month, last_month) for whole months,
    ("daily", first, last) for the days around them.

    Today is read from the stored rows too: every change marks it dirty and the refresh task
    recomputes it every minute. (Computing a whole day live costs ~0.5 s at 10 million
    complaints — too slow for every chart; see docs/dashboard.md.)
    """
    out: list[tuple] = []
    stored_last = min(last, today)
    if first <= stored_last:
        m = first if first.day == 1 else next_month(first)
        full = []
        while next_month(m) - timedelta(days=1) <= stored_last:
            full.append(m)
            m = next_month(m)
        if months and full:
            if first < full[0]:
                out.append(("daily", first, full[0] - timedelta(days=1)))
            out.append(("monthly", full[0], full[-1]))
            after = next_month(full[-1])
            if after <= stored_last:
                out.append(("daily", after, stored_last))
        else:
            out.append(("daily", first, stored_last))
    return out


COMMON = ("unit_key", "category", *SUMMED, "handling_hist")


def _part(kind: str, a: date, b: date, n: int, params: dict, columns: str) -> str:
    params[f"a{n}"], params[f"b{n}"] = a, b
    if kind == "daily":
        return f"SELECT day, {columns} FROM {TABLE} WHERE day BETWEEN %(a{n})s AND %(b{n})s"  # nosec B608  # SQL from constant fragments; values are parameters
    if kind == "monthly":
        return (
            f"SELECT month AS day, {columns} FROM {MONTHLY} "
            f"WHERE month BETWEEN %(a{n})s AND %(b{n})s"  # nosec B608  # SQL from constant fragments; values are parameters
        )
    raise ValueError(kind)


def _wrap(parts: list[str], params: dict, scope: Scope, columns: str) -> str:
    if not parts:
        parts = [f"SELECT day, {columns} FROM {TABLE} WHERE false"]  # nosec B608  # SQL from constant fragments; values are parameters
    where = []
    if scope.unit_keys is not None:
        where.append("unit_key = ANY(%(units)s)")
        params["units"] = list(scope.unit_keys)
    if scope.category:
        where.append("category = %(category)s")
        params["category"] = scope.category
    sql = " UNION ALL ".join(f"({p})" for p in parts)
    return f"SELECT * FROM ({sql}) AS src" + (f" WHERE {' AND '.join(where)}" if where else "")  # nosec B608  # SQL from constant fragments; values are parameters


def _source(
    first: date, last: date, today: date, scope: Scope, *, months: bool = True
) -> tuple[str, dict]:
    """A subquery of rollup rows (day, unit_key, category, the summed columns, histogram) for
    the days first..last within the scope — whole past months from the monthly table."""
    params: dict = {}
    columns = ", ".join(COMMON)
    parts = [
        _part(kind, a, b, n, params, columns)
        for n, (kind, a, b) in enumerate(segments(first, last, today, months=months))
    ]
    return _wrap(parts, params, scope, columns), params


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def totals(first: date, last: date, today: date, scope: Scope) -> dict:
    """The summed rollup columns and the merged handling-time histogram of a range.

    One pass: the histogram is summed element by element (sum(hist[i]) for each bucket), which
    reads each rollup row once instead of unnesting it into ~70 rows.
    """
    src, params = _source(first, last, today, scope)
    n_buckets = len(HANDLING_BUCKETS) + 1
    sums = ", ".join(f"COALESCE(sum({c}), 0)" for c in SUMMED)
    hist = ", ".join(f"COALESCE(sum(handling_hist[{i}]), 0)" for i in range(1, n_buckets + 1))
    row = _fetch(f"SELECT {sums}, {hist} FROM ({src}) AS s", params)[0]  # nosec B608  # SQL from constant fragments; values are parameters
    # sum() of bigint is numeric in PostgreSQL: counts back to int, money stays Decimal.
    result = {
        col: (Decimal(v) if col.endswith("_amount") else int(v))
        for col, v in zip(SUMMED, row[: len(SUMMED)], strict=True)
    }
    result["handling_hist"] = [int(v) for v in row[len(SUMMED) :]]
    return result


def percentile_hours(hist: list[int], share: float = 0.9) -> float | None:
    """The upper bound (hours) of the histogram bucket holding the given share of cases."""
    total = sum(hist)
    if not total:
        return None
    need, running = share * total, 0
    for idx, count in enumerate(hist):
        running += count
        if running >= need:
            return (
                float(HANDLING_BUCKETS[idx])
                if idx < len(HANDLING_BUCKETS)
                else float(HANDLING_BUCKETS[-1])
            )
    return float(HANDLING_BUCKETS[-1])


def kpi_value(kpi: Kpi, sums: dict):
    """The value of one KPI from summed rollup columns (a rate as a fraction 0..1, or None)."""
    if kpi.key == "p90_handling":
        return percentile_hours(sums["handling_hist"])
    num = sums[kpi.num]
    if kpi.kind == "rate":
        den = sums[kpi.den]
        return (num / den) if den else None
    if kpi.kind == "hours":
        den = sums[kpi.den]
        return round(num / den / 3600, 2) if den else None
    if kpi.kind == "money":
        return Decimal(num).quantize(Decimal("0.01"))
    return int(num)


def kpi_table(period: Period, today: date, scope: Scope) -> list[dict]:
    """Every KPI for the period and the previous one, with the change."""
    now_sums = totals(period.first, period.last, today, scope)
    prev = period.previous()
    prev_sums = totals(prev.first, prev.last, today, scope)
    rows = []
    for kpi in KPIS:
        cur, old = kpi_value(kpi, now_sums), kpi_value(kpi, prev_sums)
        change = None
        if cur is not None and old is not None:
            change = cur - old
        rows.append(
            {
                "key": kpi.key,
                "label": str(kpi.label),
                "kind": kpi.kind,
                "value": cur,
                "previous": old,
                "change": change,
                "higher_is_better": kpi.higher_is_better,
                "numerator": now_sums.get(kpi.num) if kpi.num else None,
                "denominator": now_sums.get(kpi.den) if kpi.den else None,
                "definition": str(kpi.definition),
            }
        )
    return rows


def daily_trend(period: Period, today: date, scope: Scope) -> list[tuple]:
    """(day or month start, received, closed, breaches), zero-filled: per day for periods up
    to DAILY_TREND_MAX_DAYS, per month beyond (from the monthly table)."""
    per_day = period.days <= DAILY_TREND_MAX_DAYS
    src, params = _source(period.first, period.last, today, scope, months=not per_day)
    params.update({"p_first": period.first, "p_last": period.last})
    if per_day:
        return _fetch(
            "SELECT d::date, COALESCE(sum(s.received), 0), COALESCE(sum(s.closed), 0), "
            "COALESCE(sum(s.breaches), 0) "
            "FROM generate_series(%(p_first)s::date, %(p_last)s::date, interval '1 day') AS d "
            f"LEFT JOIN ({src}) AS s ON s.day = d::date GROUP BY d ORDER BY d",  # nosec B608  # SQL from constant fragments; values are parameters
            params,
        )
    return _fetch(
        "SELECT d::date, COALESCE(sum(s.received), 0), COALESCE(sum(s.closed), 0), "
        "COALESCE(sum(s.breaches), 0) "
        "FROM generate_series(date_trunc('month', %(p_first)s::date), %(p_last)s::date, "
        "interval '1 month') AS d "
        f"LEFT JOIN ({src}) AS s ON date_trunc('month', s.day) = d GROUP BY d ORDER BY d",  # nosec B608  # SQL from constant fragments; values are parameters
        params,
    )


def by_category(period: Period, today: date, scope: Scope) -> list[tuple]:
    """(category, received, justified_yes, handled, res_on_time, res_decided)."""
    src, params = _source(period.first, period.last, today, scope)
    return _fetch(
        "SELECT category, sum(received), sum(justified_yes), sum(handled), "
        f"sum(res_on_time), sum(res_decided) FROM ({src}) AS s GROUP BY category "
        "HAVING sum(received) > 0 ORDER BY sum(received) DESC",  # nosec B608  # SQL from constant fragments; values are parameters
        params,
    )


def ranking(period: Period, today: date, scope: Scope, groups: dict[int, int]) -> list[tuple]:
    """Per group (a child unit of the selection): received, on-time and justified figures.

    `groups` maps each rollup unit_key to the group it is counted under; the mapping is joined
    in SQL as two arrays, so the summing stays in the database.
    """
    if not groups:
        return []
    src, params = _source(period.first, period.last, today, scope)
    params["map_units"] = list(groups)
    params["map_groups"] = list(groups.values())
    return _fetch(
        "SELECT m.grp, sum(s.received), sum(s.res_on_time), sum(s.res_decided), "
        "sum(s.fr_on_time), sum(s.fr_decided), sum(s.justified_yes), sum(s.handled) "
        f"FROM ({src}) AS s JOIN unnest(%(map_units)s::int[], %(map_groups)s::int[]) "
        "AS m(unit_key, grp) ON m.unit_key = s.unit_key GROUP BY m.grp",  # nosec B608  # SQL from constant fragments; values are parameters
        params,
    )


def heatmap(period: Period, today: date, scope: Scope) -> list[tuple]:
    """(ISO weekday 1–7, hour 0–23, complaints received): whole months from the monthly
    table's weekday × hour arrays, the other days from their hourly arrays."""
    grid = [[0] * 24 for _ in range(7)]
    params: dict = {}
    day_parts, month_parts = [], []
    for n, (kind, a, b) in enumerate(segments(period.first, period.last, today)):
        if kind == "monthly":
            month_parts.append(_part(kind, a, b, n, params, "unit_key, category, by_dow_hour"))
        else:
            day_parts.append(_part(kind, a, b, n, params, "unit_key, category, by_hour"))
    if day_parts:
        src = _wrap(day_parts, params, scope, "")
        hours = ", ".join(f"COALESCE(sum(s.by_hour[{h + 1}]), 0)" for h in range(24))
        for dow, *counts in _fetch(
            f"SELECT EXTRACT(isodow FROM s.day)::int, {hours} FROM ({src}) AS s GROUP BY 1",  # nosec B608  # SQL from constant fragments; values are parameters
            params,
        ):
            for hour in range(24):
                grid[dow - 1][hour] += int(counts[hour])
    if month_parts:
        src = _wrap(month_parts, params, scope, "")
        cells = ", ".join(f"COALESCE(sum(s.by_dow_hour[{i + 1}]), 0)" for i in range(168))
        row = _fetch(f"SELECT {cells} FROM ({src}) AS s", params)[0]  # nosec B608  # SQL from constant fragments; values are parameters
        for i, value in enumerate(row):
            grid[i // 24][i % 24] += int(value)
    return [(d + 1, h, grid[d][h]) for d in range(7) for h in range(24)]
