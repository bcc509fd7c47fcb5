"""Monthly figures a company reports to the postal administration, aggregated in SQL.

One GROUP BY query per section, so the cost does not grow with rows in Python. Definitions:
docs/regulators.md, "Monthly statistics" (valid and justified: complaints.figures).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from complaints.figures import COUNTED, JUSTIFIED, JUSTIFIED_RATE_DEFINITION
from complaints.models import Category, Complaint, Status
from kernel.clock import SHANGHAI
from kernel.spreadsheets import CsvWriter, append_row

from .models import Appeal, AppealOutcome, Province


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


@dataclass(frozen=True)
class MonthlyStatistics:
    year: int
    month: int
    sections: tuple[Section, ...]
    notes: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return [start, end) of the month in Asia/Shanghai as aware datetimes."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError("月份无效")
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, datetime.combine(nxt, time(0), tzinfo=SHANGHAI)


def rate(part: int, whole: int) -> Decimal | None:
    """Return part ÷ whole in percent with two decimals, or None when there is nothing to rate."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


VALID = COUNTED
COMPLAINT_FIGURES = {
    "received": Count("pk"),
    "valid": Count("pk", filter=VALID),
    "answered_on_time": Count(
        "pk",
        filter=VALID
        & Q(first_answered_at__isnull=False, first_answered_at__lte=F("statutory_due")),
    ),
    "responded_on_time": Count(
        "pk",
        filter=VALID
        & Q(first_response_at__isnull=False, first_response_at__lte=F("first_response_due")),
    ),
    "justified": Count("pk", filter=JUSTIFIED),
    "closed": Count("pk", filter=Q(status=Status.CLOSED)),
    "satisfied": Count("pk", filter=Q(satisfied=True)),
}
COMPLAINT_HEADERS = (
    "投诉量",
    "有效投诉",
    "7日内答复",
    "7日答复及时率(%)",
    "首次响应及时率(%)",
    "有理由投诉",
    "有理由投诉率(%)",
    "已闭环",
    "满意",
)


def _complaint_row(label: str, f: dict) -> tuple:
    return (
        label,
        f["received"],
        f["valid"],
        f["answered_on_time"],
        rate(f["answered_on_time"], f["valid"]),
        rate(f["responded_on_time"], f["valid"]),
        f["justified"],
        rate(f["justified"], f["valid"]),
        f["closed"],
        f["satisfied"],
    )


APPEAL_FIGURES = {
    "appeals": Count("pk"),
    "reported": Count("pk", filter=Q(report_sent_at__isnull=False)),
    "reported_on_time": Count(
        "pk", filter=Q(report_sent_at__isnull=False, report_sent_at__lte=F("company_report_due"))
    ),
    "closed": Count("pk", filter=Q(state="closed")),
}
APPEAL_HEADERS = ("申诉量", "已报告", "按时报告", "申诉报告及时率(%)", "已办结")


def _appeal_row(label: str, f: dict) -> tuple:
    return (
        label,
        f["appeals"],
        f["reported"],
        f["reported_on_time"],
        rate(f["reported_on_time"], f["appeals"]),
        f["closed"],
    )


def _compensation_model():
    """Return the compensation app's claim model, or None while that app has none.

    That app is built separately; its claim is recognised by shape: a foreign key to the
    complaint, an `amount`, and a payment date (`paid_on`) or time (`paid_at`).
    """
    if not apps.is_installed("compensation"):
        return None
    for model in apps.get_app_config("compensation").get_models():
        names = {f.name for f in model._meta.get_fields()}
        linked = any(
            getattr(f, "related_model", None) is Complaint and f.many_to_one
            for f in model._meta.get_fields()
        )
        if linked and "amount" in names and names & {"paid_on", "paid_at"}:
            return model
    return None


def compensation_paid(start: datetime, end: datetime) -> Decimal | None:
    """Return the compensation paid in [start, end), or None without a compensation model."""
    model = _compensation_model()
    if model is None:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if "paid_on" in names:  # the day the money went out (Asia/Shanghai dates)
        paid = Q(paid_on__gte=start.date(), paid_on__lt=end.date())
    else:
        paid = Q(paid_at__gte=start, paid_at__lt=end)
    if "status" in names:
        paid &= Q(status="paid")
    total = model._default_manager.filter(paid).aggregate(
        total=Coalesce(Sum("amount"), Value(Decimal("0")))
    )["total"]
    return Decimal(total).quantize(Decimal("0.01"))


def _grouped(queryset, key: str, figures: dict, *also: str) -> list[dict]:
    """One GROUP BY query; `also` adds grouping columns (a unit's code beside its name)."""
    return list(queryset.values(key, *also).annotate(**figures).order_by(key, *also))


def monthly_statistics(year: int, month: int) -> MonthlyStatistics:
    """Return the month's figures: by category, unit and outcome; appeals; a summary."""
    start, end = month_bounds(year, month)
    complaints = Complaint.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
    appeals = Appeal.objects.filter(received_at__gte=start, received_at__lt=end)

    total = complaints.aggregate(**COMPLAINT_FIGURES)
    by_category = _grouped(complaints, "category", COMPLAINT_FIGURES)
    by_unit = _grouped(complaints, "unit__name", COMPLAINT_FIGURES, "unit__code")
    by_status = list(complaints.values("status").annotate(n=Count("pk")).order_by("status"))
    appeal_total = appeals.aggregate(**APPEAL_FIGURES)
    appeals_by_category = _grouped(appeals, "complaint__category", APPEAL_FIGURES)
    appeals_by_unit = _grouped(
        appeals, "complaint__unit__name", APPEAL_FIGURES, "complaint__unit__code"
    )
    appeals_by_outcome = list(appeals.values("outcome").annotate(n=Count("pk")).order_by("outcome"))
    appeals_by_province = _grouped(appeals, "province", APPEAL_FIGURES)
    paid = compensation_paid(start, end)

    category_label = dict(Category.choices)
    status_label = dict(Status.choices)
    outcome_label = dict(AppealOutcome.choices)
    province_label = dict(Province.choices)

    summary = Section(
        "汇总",
        ("指标", "数值"),
        (
            ("投诉量", total["received"]),
            ("有效投诉", total["valid"]),
            ("7日答复及时率(%)", rate(total["answered_on_time"], total["valid"])),
            ("首次响应及时率(%)", rate(total["responded_on_time"], total["valid"])),
            ("有理由投诉率(%)", rate(total["justified"], total["valid"])),
            ("申诉量", appeal_total["appeals"]),
            ("申诉报告及时率(%)", rate(appeal_total["reported_on_time"], appeal_total["appeals"])),
            ("申诉率(每百件有效投诉)", rate(appeal_total["appeals"], total["valid"])),
            ("赔偿金额(元)", paid if paid is not None else "—（赔偿模块未启用）"),
        ),
    )
    sections = (
        summary,
        Section(
            "投诉·按类别",
            ("类别", *COMPLAINT_HEADERS),
            tuple(
                _complaint_row(str(category_label.get(r["category"], r["category"])), r)
                for r in by_category
            ),
        ),
        Section(
            "投诉·按责任单位",
            ("责任单位", *COMPLAINT_HEADERS),
            tuple(_complaint_row(r["unit__name"] or "未下发", r) for r in by_unit),
        ),
        Section(
            "投诉·按处理结果",
            ("状态", "投诉量"),
            tuple((str(status_label.get(r["status"], r["status"])), r["n"]) for r in by_status),
        ),
        Section(
            "申诉·按类别",
            ("类别", *APPEAL_HEADERS),
            tuple(
                _appeal_row(
                    str(category_label.get(r["complaint__category"], r["complaint__category"])), r
                )
                for r in appeals_by_category
            ),
        ),
        Section(
            "申诉·按责任单位",
            ("责任单位", *APPEAL_HEADERS),
            tuple(_appeal_row(r["complaint__unit__name"] or "未下发", r) for r in appeals_by_unit),
        ),
        Section(
            "申诉·按办结结果",
            ("办结结果", "申诉量"),
            tuple(
                (
                    str(outcome_label.get(r["outcome"], "办理中")) if r["outcome"] else "办理中",
                    r["n"],
                )
                for r in appeals_by_outcome
            ),
        ),
        Section(
            "申诉·按转办省份",
            ("省份", *APPEAL_HEADERS),
            tuple(
                _appeal_row(str(province_label.get(r["province"], r["province"])), r)
                for r in appeals_by_province
            ),
        ),
    )
    notes = (
        "投诉按受理时间、申诉按接收时间（北京时间）计入当月。",
        "7日答复及时率 = 在法定7日时限内首次答复的有效投诉 ÷ 有效投诉。",
        str(JUSTIFIED_RATE_DEFINITION),
        "申诉报告及时率 = 在报告时限内向监管部门报送处理情况的申诉 ÷ 当月申诉。",
    )
    return MonthlyStatistics(year=year, month=month, sections=sections, notes=notes)


def _cell(value):
    # A unit named "=HYPERLINK(…)" stays text: kernel.spreadsheets makes every cell inert.
    return "—" if value is None else value


def to_csv(stats: MonthlyStatistics) -> bytes:
    """Return the statistics as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow([f"监管统计报表 {stats.label}"])
    for section in stats.sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.headers)
        for row in section.rows:
            writer.writerow([_cell(v) for v in row])
    writer.writerow([])
    writer.writerow(["说明"])
    for note in stats.notes:
        writer.writerow([note])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(stats: MonthlyStatistics) -> bytes:
    """Return the statistics as an Excel workbook: one sheet per section, plus the notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in stats.sections:
        sheet = workbook.create_sheet(section.title.replace("·", "-")[:31])
        append_row(sheet, [f"{stats.label} {section.title}"])
        sheet["A1"].font = Font(bold=True)
        append_row(sheet, list(section.headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            append_row(sheet, [float(v) if isinstance(v, Decimal) else _cell(v) for v in row])
        sheet.column_dimensions["A"].width = 24
    notes = workbook.create_sheet("说明")
    for note in stats.notes:
        append_row(notes, [note])
    notes.column_dimensions["A"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
