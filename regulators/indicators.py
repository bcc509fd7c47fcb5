"""The bureau's figures for a period and a scope, counted in SQL (definitions: docs/dashboard.md).

A scope is the company, a unit with the units under it, or a province; each figure set is a
handful of aggregate queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.figures import COUNTED, JUSTIFIED
from complaints.models import Complaint, Unit
from kernel.clock import SHANGHAI

from . import bureau
from .models import (
    Appeal,
    AppealOutcome,
    IndustryAverage,
    ParcelVolume,
    ProblemType,
    ProblemTypeMapping,
    Province,
)

# Appeals the regulator accepted: all it forwarded except those it declared 不予受理.
ACCEPTED_APPEAL = ~Q(outcome=AppealOutcome.NOT_ACCEPTED)

# 有效申诉 = an accepted appeal where the company bears service-quality responsibility: the
# appeal's complaint is 有理由 (complaints.figures.JUSTIFIED), which the fault ruling decides once
# there is one (有责 or 部分有责; rulings/ sets it through complaints' services), and the reply's
# judgement before. Every figure, page, export and test reads it from here.
EFFECTIVE_APPEAL = ACCEPTED_APPEAL & Q(
    complaint__in=Complaint.objects.filter(JUSTIFIED).values("pk")
)
EFFECTIVE_APPEAL_SOURCE = gettext_lazy("判责为有责或部分有责（尚未判责的按答复时的有理由判定）")

# The user was satisfied with the handling: the regulator closed the appeal as mediated
# (调解成功) or as resolved with the user's agreement (企业已解决，用户认可).
SATISFIED_APPEAL = EFFECTIVE_APPEAL & Q(
    outcome__in=[AppealOutcome.MEDIATED, AppealOutcome.RESOLVED]
)

APPEAL_FIGURES = {
    "appeals": Count("pk", filter=ACCEPTED_APPEAL),
    "effective": Count("pk", filter=EFFECTIVE_APPEAL),
    "satisfied": Count("pk", filter=SATISFIED_APPEAL),
}

COMPANY = "company"


@dataclass(frozen=True)
class Scope:
    """The whole company, one unit (its subtree) or one province."""

    kind: str = COMPANY  # company | unit | province
    unit_id: int | None = None
    province: str = ""
    label: str = ""

    @property
    def key(self) -> str:
        if self.kind == "unit":
            return f"unit:{self.unit_id}"
        if self.kind == "province":
            return f"province:{self.province}"
        return COMPANY


def parse_scope(text: str | None) -> Scope:
    """Read company | unit:<id> | province:<code>; raise PeriodError with a Chinese message."""
    text = (text or COMPANY).strip()
    if text == COMPANY:
        return Scope(label=_("全公司"))
    kind, _sep, value = text.partition(":")
    if kind == "province" and value in Province.values:
        return Scope("province", province=value, label=str(Province(value).label))
    if kind == "unit" and value.isdigit():
        unit = Unit.objects.filter(pk=int(value)).only("name").first()
        if unit is not None:
            return Scope("unit", unit_id=unit.pk, label=unit.name)
    raise bureau.PeriodError(_("统计范围无效。"))


def bounds(period: bureau.Period) -> tuple[datetime, datetime]:
    """[start, end) of the period as aware datetimes in Asia/Shanghai."""
    return (
        datetime.combine(period.start, time(0), tzinfo=SHANGHAI),
        datetime.combine(period.end, time(0), tzinfo=SHANGHAI),
    )


def _unit_subtree(prefix: str, unit_id: int) -> Q:
    """The unit and the units under it (company → region → branch: three levels)."""
    return (
        Q(**{f"{prefix}unit_id": unit_id})
        | Q(**{f"{prefix}unit__parent_id": unit_id})
        | Q(**{f"{prefix}unit__parent__parent_id": unit_id})
    )


def appeals_in(period: bureau.Period, scope: Scope):
    return _appeals_between(*bounds(period), scope)


def _appeals_between(start: datetime, end: datetime, scope: Scope):
    qs = Appeal.objects.filter(received_at__gte=start, received_at__lt=end)
    if scope.kind == "unit":
        qs = qs.filter(_unit_subtree("complaint__", scope.unit_id))
    elif scope.kind == "province":
        qs = qs.filter(province=scope.province)
    return qs


def complaints_in(period: bureau.Period, scope: Scope):
    """Counted complaints of the period, or None for a province (complaints have none)."""
    if scope.kind == "province":
        return None
    start, end = bounds(period)
    qs = Complaint.objects.filter(COUNTED, accepted_at__gte=start, accepted_at__lt=end)
    if scope.kind == "unit":
        qs = qs.filter(_unit_subtree("", scope.unit_id))
    return qs


def _volume_rows(scope: Scope):
    if scope.kind == "unit":
        return ParcelVolume.objects.filter(unit_id=scope.unit_id)
    if scope.kind == "province":
        return ParcelVolume.objects.filter(unit__isnull=True, province=scope.province)
    return ParcelVolume.objects.filter(unit__isnull=True, province="")


@dataclass(frozen=True)
class Volume:
    parcels: int | None  # None: some month of the period has no volume
    missing: tuple[date, ...] = ()
    from_provinces: bool = False  # the company's volume summed from its provinces


def volume(period: bureau.Period, scope: Scope) -> Volume:
    """The period's volume, or None with the missing months: a partial sum would inflate every
    rate. The company's volume, when not entered as such, is the sum of its provinces' where
    every month has some."""
    months = period.months
    rows = dict(
        _volume_rows(scope)
        .filter(month__in=months)
        .values_list("month")
        .annotate(n=Sum("parcels"))
        .values_list("month", "n")
    )
    from_provinces = False
    if scope.kind == COMPANY and len(rows) < len(months):
        by_province = dict(
            ParcelVolume.objects.filter(unit__isnull=True, month__in=months)
            .exclude(province="")
            .values_list("month")
            .annotate(n=Sum("parcels"))
            .values_list("month", "n")
        )
        for month, n in by_province.items():
            if month not in rows:
                rows[month] = n
                from_provinces = True
    missing = tuple(m for m in months if m not in rows)
    if missing:
        return Volume(None, missing)
    return Volume(sum(rows.values()), (), from_provinces)


@dataclass(frozen=True)
class Figures:
    """The bureau's figures of one period and scope."""

    period: bureau.Period
    scope: Scope
    volume: Volume
    appeals: int
    effective: int
    satisfied: int
    complaints: int | None

    @property
    def appeal_rate(self) -> Decimal | None:
        return bureau.per_million(self.appeals, self.volume.parcels)

    @property
    def effective_rate(self) -> Decimal | None:
        return bureau.per_million(self.effective, self.volume.parcels)

    @property
    def satisfaction(self) -> Decimal | None:
        return bureau.percent(self.satisfied, self.effective)

    @property
    def complaint_rate(self) -> Decimal | None:
        if self.complaints is None:
            return None
        return bureau.per_million(self.complaints, self.volume.parcels)


def figures(period: bureau.Period, scope: Scope) -> Figures:
    counts = appeals_in(period, scope).aggregate(**APPEAL_FIGURES)
    complaints = complaints_in(period, scope)
    return Figures(
        period=period,
        scope=scope,
        volume=volume(period, scope),
        appeals=counts["appeals"],
        effective=counts["effective"],
        satisfied=counts["satisfied"],
        complaints=None if complaints is None else complaints.count(),
    )


def mapping() -> dict[str, str]:
    """The edited category → problem type mapping (the defaults fill the gaps)."""
    return dict(ProblemTypeMapping.objects.values_list("category", "problem_type"))


@dataclass(frozen=True)
class TypeRow:
    problem_type: str
    label: str
    appeals: int
    effective: int
    satisfied: int
    complaints: int
    appeal_rate: Decimal | None
    effective_rate: Decimal | None
    satisfaction: Decimal | None
    complaint_rate: Decimal | None


def by_problem_type(period: bureau.Period, scope: Scope, parcels: int | None) -> list[TypeRow]:
    """Every problem type of the bureau, in its order, each appeal and complaint in one."""
    table = mapping()
    totals = {
        t.value: {"appeals": 0, "effective": 0, "satisfied": 0, "complaints": 0}
        for t in bureau.ProblemType
    }
    for row in (
        appeals_in(period, scope)
        .values("complaint__category")
        .annotate(**APPEAL_FIGURES)
        .order_by()
    ):
        bucket = totals[bureau.problem_type_of(row["complaint__category"], table)]
        for name in ("appeals", "effective", "satisfied"):
            bucket[name] += row[name]
    complaints = complaints_in(period, scope)
    if complaints is not None:
        for row in complaints.values("category").annotate(n=Count("pk")).order_by():
            totals[bureau.problem_type_of(row["category"], table)]["complaints"] += row["n"]
    labels = dict(ProblemType.choices)
    return [
        TypeRow(
            problem_type=key,
            label=str(labels[key]),
            appeal_rate=bureau.per_million(t["appeals"], parcels),
            effective_rate=bureau.per_million(t["effective"], parcels),
            satisfaction=bureau.percent(t["satisfied"], t["effective"]),
            complaint_rate=(
                bureau.per_million(t["complaints"], parcels) if complaints is not None else None
            ),
            **t,
        )
        for key, t in totals.items()
    ]


@dataclass(frozen=True)
class ProvinceRow:
    province: str
    label: str
    parcels: int | None
    appeals: int
    effective: int
    satisfied: int
    appeal_rate: Decimal | None
    effective_rate: Decimal | None
    satisfaction: Decimal | None


def by_province(period: bureau.Period) -> list[ProvinceRow]:
    """The provinces with appeals or a volume in the period: two GROUP BY queries."""
    start, end = bounds(period)
    counts = {
        r["province"]: r
        for r in Appeal.objects.filter(received_at__gte=start, received_at__lt=end)
        .values("province")
        .annotate(**APPEAL_FIGURES)
        .order_by()
    }
    months = len(period.months)
    volumes = {
        r["province"]: r["n"] if r["months"] == months else None
        for r in ParcelVolume.objects.filter(
            unit__isnull=True, month__gte=period.start, month__lt=period.end
        )
        .exclude(province="")
        .values("province")
        .annotate(n=Sum("parcels"), months=Count("month", distinct=True))
        .order_by()
    }
    rows = []
    for code, label in Province.choices:
        if code not in counts and code not in volumes:
            continue
        c = counts.get(code, {"appeals": 0, "effective": 0, "satisfied": 0})
        parcels = volumes.get(code)
        rows.append(
            ProvinceRow(
                province=code,
                label=str(label),
                parcels=parcels,
                appeals=c["appeals"],
                effective=c["effective"],
                satisfied=c["satisfied"],
                appeal_rate=bureau.per_million(c["appeals"], parcels),
                effective_rate=bureau.per_million(c["effective"], parcels),
                satisfaction=bureau.percent(c["satisfied"], c["effective"]),
            )
        )
    return rows


@dataclass
class OverdueTable:
    """逾期件数, company × province: appeals forwarded in the period whose report to the
    regulator was not sent by its deadline (late, or still unsent past it)."""

    provinces: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[str, list[int], int]] = field(default_factory=list)  # company, cells, total
    forwarded: int = 0
    overdue: int = 0


def overdue_table(period: bureau.Period, now: datetime) -> OverdueTable:
    """One GROUP BY over (top unit, province); the top unit is the complaint's unit's
    company-level ancestor (units are at most three levels deep)."""
    start, end = bounds(period)
    late = Q(report_sent_at__gt=F("company_report_due")) | Q(
        report_sent_at__isnull=True, company_report_due__lte=now
    )
    grouped = (
        Appeal.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(
            company_id=Coalesce(
                "complaint__unit__parent__parent_id",
                "complaint__unit__parent_id",
                "complaint__unit_id",
            )
        )
        .values("company_id", "province")
        .annotate(forwarded=Count("pk"), overdue=Count("pk", filter=late))
        .order_by()
    )
    cells: dict[tuple[int | None, str], int] = {}
    table = OverdueTable()
    for r in grouped:
        cells[(r["company_id"], r["province"])] = r["overdue"]
        table.forwarded += r["forwarded"]
        table.overdue += r["overdue"]
    province_codes = sorted({p for _c, p in cells}, key=Province.values.index)
    labels = dict(Province.choices)
    table.provinces = [(p, str(labels[p])) for p in province_codes]
    company_ids = {c for c, _p in cells}
    names = dict(
        Unit.objects.filter(pk__in=[c for c in company_ids if c]).values_list("pk", "name")
    )
    for company in sorted(company_ids, key=lambda c: (c is None, names.get(c, ""))):
        row = [cells.get((company, p), 0) for p in province_codes]
        table.rows.append((names.get(company, _("未下发")), row, sum(row)))
    return table


@dataclass(frozen=True)
class Trend:
    months: list[str]
    appeal_rate: list[Decimal | None]
    effective_rate: list[Decimal | None]


def trend(last: bureau.Period, scope: Scope, count: int = 12) -> Trend:
    """申诉率 and 有效申诉率 of the `count` months up to the period's last month: two queries."""
    end_month = bureau.Period(bureau.MONTH, last.months[-1].year, last.months[-1].month)
    months = [end_month]
    while len(months) < count:
        months.insert(0, months[0].previous())
    first = bureau.Period(bureau.MONTH, months[0].year, months[0].number)
    start, _ = bounds(first)
    _, end = bounds(end_month)
    appeals = _appeals_between(start, end, scope)
    counts = {
        r["m"].date() if isinstance(r["m"], datetime) else r["m"]: r
        for r in appeals.annotate(m=TruncMonth("received_at", tzinfo=SHANGHAI))
        .values("m")
        .annotate(**APPEAL_FIGURES)
        .order_by()
    }
    rows = _volume_rows(scope).filter(month__gte=first.start, month__lt=end_month.end)
    volumes = dict(rows.values_list("month").annotate(n=Sum("parcels")).values_list("month", "n"))
    if scope.kind == COMPANY:
        for month, n in (
            ParcelVolume.objects.filter(
                unit__isnull=True, month__gte=first.start, month__lt=end_month.end
            )
            .exclude(province="")
            .values_list("month")
            .annotate(n=Sum("parcels"))
            .values_list("month", "n")
        ):
            volumes.setdefault(month, n)
    zero = {"appeals": 0, "effective": 0}
    return Trend(
        months=[m.key for m in months],
        appeal_rate=[
            bureau.per_million(counts.get(m.start, zero)["appeals"], volumes.get(m.start))
            for m in months
        ],
        effective_rate=[
            bureau.per_million(counts.get(m.start, zero)["effective"], volumes.get(m.start))
            for m in months
        ],
    )


def industry_average(period: bureau.Period) -> IndustryAverage | None:
    return IndustryAverage.objects.filter(period=period.key).first()


@dataclass(frozen=True)
class Comparison:
    key: str
    label: str
    unit: str  # 件/百万件 or %
    current: Decimal | None
    previous: Decimal | None
    year_before: Decimal | None
    industry: Decimal | None
    definition: str

    @property
    def mom(self) -> Decimal | None:
        return bureau.change(self.current, self.previous)

    @property
    def yoy(self) -> Decimal | None:
        return bureau.change(self.current, self.year_before)


@dataclass(frozen=True)
class Report:
    """Everything the 监管指标 page and its Excel show for one period and scope."""

    current: Figures
    previous: Figures
    year_before: Figures
    industry: IndustryAverage | None
    comparisons: list[Comparison]
    types: list[TypeRow]
    provinces: list[ProvinceRow]
    overdue: OverdueTable
    trend: Trend
    notes: list[str]


DEFINITIONS = {
    "appeal_rate": _("申诉率 = 监管部门受理的申诉件数 ÷ 业务量（百万件）；不予受理的不计。"),
    "effective_rate": _(
        "有效申诉率 = 企业负有服务质量责任的申诉件数 ÷ 业务量（百万件）；责任依据：%(source)s。"
    ),
    "satisfaction": _(
        "有效申诉处理满意率 = 用户对处理结果满意的有效申诉（调解成功，或企业已解决且用户认可）"
        " ÷ 有效申诉。"
    ),
    "complaint_rate": _(
        "投诉率 = 有效投诉（已受理且未不予受理、未撤诉）÷ 业务量（百万件）；监管部门不公布，"
        "供质量部门跟踪。"
    ),
}


def report(period: bureau.Period, scope: Scope, now: datetime) -> Report:
    current = figures(period, scope)
    previous = figures(period.previous(), scope)
    year_before = figures(period.year_before(), scope)
    industry = industry_average(period)

    def comparison(key, label, unit, attr, industry_attr):
        return Comparison(
            key=key,
            label=label,
            unit=unit,
            current=getattr(current, attr),
            previous=getattr(previous, attr),
            year_before=getattr(year_before, attr),
            industry=getattr(industry, industry_attr) if industry and industry_attr else None,
            definition=DEFINITIONS[key] % {"source": EFFECTIVE_APPEAL_SOURCE}
            if key == "effective_rate"
            else DEFINITIONS[key],
        )

    per_million_unit = _("件/百万件")
    comparisons = [
        comparison("appeal_rate", _("申诉率"), per_million_unit, "appeal_rate", "appeal_rate"),
        comparison(
            "effective_rate",
            _("有效申诉率"),
            per_million_unit,
            "effective_rate",
            "effective_appeal_rate",
        ),
        comparison("satisfaction", _("有效申诉处理满意率"), "%", "satisfaction", "satisfaction"),
        comparison("complaint_rate", _("投诉率"), per_million_unit, "complaint_rate", None),
    ]
    notes = [c.definition for c in comparisons]
    if current.volume.parcels is None:
        missing = "、".join(f"{m:%Y-%m}" for m in current.volume.missing)
        notes.insert(
            0,
            _("缺少 %(months)s 的业务量：比率显示为“—”。请在“业务量”中录入或导入。")
            % {"months": missing},
        )
    elif current.volume.from_provinces:
        notes.insert(0, _("全公司业务量未单独录入，按各省业务量合计。"))
    if scope.kind == "province":
        notes.append(_("投诉不记录省份，按省份统计时不计算投诉率。"))
    notes.append(
        _(
            "申诉按接收时间、投诉按受理时间（北京时间）计入周期；逾期：未在报告时限内向监管部门报送处理情况。"
        )
    )
    return Report(
        current=current,
        previous=previous,
        year_before=year_before,
        industry=industry,
        comparisons=comparisons,
        types=by_problem_type(period, scope, current.volume.parcels),
        provinces=by_province(period),
        overdue=overdue_table(period, now),
        trend=trend(period, scope),
        notes=notes,
    )
