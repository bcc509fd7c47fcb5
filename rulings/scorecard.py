"""Scorecards (考核记分卡): per unit and per person, per month, summed in SQL; the export.

What a month counts: docs/rulings.md, "Scorecards and the export".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from complaints.figures import COUNTED, SATISFIED_RATING
from complaints.models import Complaint, Unit
from kernel.clock import SHANGHAI, to_shanghai

from .models import Dispute, DisputeStatus, LedgerEntry
from .services import branch_unit_of

ZERO = Decimal("0.00")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in Asia/Shanghai."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(0), tzinfo=SHANGHAI),
        datetime.combine(following, time(0), tzinfo=SHANGHAI),
    )


@dataclass
class Score:
    key: int
    label: str
    code: str = ""
    unit: str = ""
    justified: int = 0
    amount: Decimal = ZERO
    points: Decimal = Decimal("0.0")
    disputes_won: int | None = 0
    disputes_lost: int | None = 0
    overdue: int | None = 0
    sat_base: int | None = 0
    sat_yes: int | None = 0
    extra: dict = field(default_factory=dict)

    @property
    def satisfaction(self) -> float | None:
        return (self.sat_yes / self.sat_base) if self.sat_base else None


def unit_scores(*, month: date, by, unit_id: int | None = None) -> list[Score]:
    """Every unit with a figure in the month (a branch: its own), worst amount first."""
    own = branch_unit_of(by)
    if own is not None:
        unit_id = own
    start, end = month_bounds(month)
    ledger = LedgerEntry.objects.visible_to(by).filter(period=month)
    disputes = Dispute.objects.visible_to(by).filter(decided_at__gte=start, decided_at__lt=end)
    cohort = Complaint.objects.filter(COUNTED, accepted_at__gte=start, accepted_at__lt=end)
    if unit_id is not None:
        ledger, disputes = ledger.filter(unit_id=unit_id), disputes.filter(unit_id=unit_id)
        cohort = cohort.filter(unit_id=unit_id)
    else:
        cohort = cohort.filter(unit__isnull=False)
    now = timezone.now()
    scores: dict[int, Score] = {}

    def score(pk: int) -> Score:
        return scores.setdefault(pk, Score(key=pk, label=""))

    for row in ledger.values("unit_id").annotate(
        n=Sum("count"), amount=Sum("amount"), points=Sum("points")
    ):
        s = score(row["unit_id"])
        s.justified, s.amount, s.points = row["n"] or 0, row["amount"], row["points"]
    for row in disputes.values("unit_id").annotate(
        won=Count("pk", filter=Q(status=DisputeStatus.OVERTURNED)),
        lost=Count("pk", filter=Q(status=DisputeStatus.UPHELD)),
    ):
        s = score(row["unit_id"])
        s.disputes_won, s.disputes_lost = row["won"], row["lost"]
    late = Q(resolution_due__isnull=False) & (
        Q(answered_at__gt=F("resolution_due")) | Q(answered_at__isnull=True, resolution_due__lt=now)
    )
    judged = Q(rating__isnull=False) | Q(satisfied__isnull=False)
    satisfied = Q(rating__gte=SATISFIED_RATING) | Q(rating__isnull=True, satisfied=True)
    for row in cohort.values("unit_id").annotate(
        overdue=Count("pk", filter=late),
        sat_base=Count("pk", filter=judged),
        sat_yes=Count("pk", filter=satisfied),
    ):
        s = score(row["unit_id"])
        s.overdue, s.sat_base, s.sat_yes = row["overdue"], row["sat_base"], row["sat_yes"]
    if unit_id is not None:
        score(unit_id)
    for unit in Unit.objects.filter(pk__in=list(scores)).only("code", "name"):
        scores[unit.pk].label, scores[unit.pk].code = unit.name, unit.code
    return sorted(scores.values(), key=lambda s: (-s.amount, -s.points, s.code))


def person_scores(*, month: date, by, unit_id: int | None = None) -> list[Score]:
    """The people named in the month's ledger entries (a branch: its own people)."""
    own = branch_unit_of(by)
    if own is not None:
        unit_id = own
    ledger = LedgerEntry.objects.visible_to(by).filter(period=month, person__isnull=False)
    if unit_id is not None:
        ledger = ledger.filter(unit_id=unit_id)
    rows = (
        ledger.values(
            "person_id",
            "person__username",
            "person__first_name",
            "person__last_name",
            "unit__name",
        )
        .annotate(n=Sum("count"), amount=Sum("amount"), points=Sum("points"))
        .order_by("-amount", "person__username")
    )
    scores = []
    for row in rows:
        name = f"{row['person__last_name']}{row['person__first_name']}".strip()
        scores.append(
            Score(
                key=row["person_id"],
                label=name or row["person__username"],
                code=row["person__username"],
                unit=row["unit__name"],
                justified=row["n"] or 0,
                amount=row["amount"],
                points=row["points"],
                disputes_won=None,
                disputes_lost=None,
                overdue=None,
                sat_base=None,
                sat_yes=None,
            )
        )
    return scores


def month_entries(*, month: date, by, unit_id: int | None = None, person_id: int | None = None):
    """The month's ledger entries (drill-down), oldest first, with their complaints."""
    rows = LedgerEntry.objects.visible_to(by).filter(period=month)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    return rows.select_related("unit", "person", "complaint", "rule", "ruling").order_by("at", "id")


def unit_totals(*, first: date, last: date) -> dict[int, tuple[int, Decimal, Decimal]]:
    """unit → (有责件数, 扣款, 扣分) of the entries posted from `first` to `last` (dashboard)."""
    start = datetime.combine(first, time(0), tzinfo=SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    rows = (
        LedgerEntry.objects.filter(at__gte=start, at__lt=end)
        .values("unit_id")
        .annotate(n=Sum("count"), amount=Sum("amount"), points=Sum("points"))
    )
    return {r["unit_id"]: (r["n"] or 0, r["amount"], r["points"]) for r in rows}


# --- The monthly export ------------------------------------------------------------------------

# A text cell starting with one of these is a formula to Excel (OWASP CSV/formula injection):
# such text is written as a string cell with Excel's quote prefix, its text unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MONEY_FORMAT = "#,##0.00"
POINTS_FORMAT = "0.0"
RATE_FORMAT = "0.0%"


def _put(ws, row: int, col: int, value, number_format: str | None = None):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    if number_format and value is not None and not isinstance(value, str):
        cell.number_format = number_format
    return cell


def _sheet(wb, title: str, heading: str, header: list[str], rows: list[list], formats: dict):
    ws = wb.create_sheet(title)
    _put(ws, 1, 1, heading).font = Font(bold=True)
    for col, name in enumerate(header, start=1):
        cell = _put(ws, 2, col, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for r, line in enumerate(rows, start=3):
        for c, value in enumerate(line, start=1):
            _put(ws, r, c, value, formats.get(c))
    for col in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 24 if col <= 2 else 12
    ws.freeze_panes = "A3"
    return ws


def xlsx_month(*, month: date, by) -> bytes:
    """The month's settlement workbook: units, people, every ledger entry, the definitions."""
    label = f"{month:%Y年%m月}"
    wb = Workbook()
    wb.remove(wb.active)
    units = unit_scores(month=month, by=by)
    _sheet(
        wb,
        "单位考核",
        f"{label} 单位考核结算",
        [
            "单位",
            "单位编码",
            "有责投诉",
            "扣款（元）",
            "扣分",
            "申诉成功",
            "申诉失败",
            "逾期答复",
            "满意率",
        ],
        [
            [
                s.label,
                s.code,
                s.justified,
                s.amount,
                s.points,
                s.disputes_won,
                s.disputes_lost,
                s.overdue,
                s.satisfaction,
            ]
            for s in units
        ],
        {4: MONEY_FORMAT, 5: POINTS_FORMAT, 9: RATE_FORMAT},
    )
    people = person_scores(month=month, by=by)
    _sheet(
        wb,
        "个人考核",
        f"{label} 个人考核结算",
        ["姓名", "账号", "所属单位", "有责投诉", "扣款（元）", "扣分"],
        [[s.label, s.code, s.unit, s.justified, s.amount, s.points] for s in people],
        {5: MONEY_FORMAT, 6: POINTS_FORMAT},
    )
    entries = month_entries(month=month, by=by)
    _sheet(
        wb,
        "台账明细",
        f"{label} 考核台账明细",
        [
            "记账时间",
            "工单号",
            "单位",
            "责任人",
            "类型",
            "有责件数",
            "扣款（元）",
            "扣分",
            "环节",
            "规则版本",
            "事由",
        ],
        [
            [
                f"{to_shanghai(e.at):%Y-%m-%d %H:%M}",
                e.complaint.ticket_no,
                e.unit.name,
                (e.person.get_full_name() or e.person.get_username()) if e.person else "",
                str(e.get_kind_display()),
                e.count,
                e.amount,
                e.points,
                str(e.get_stage_display()),
                e.rule.version_label if e.rule else "",
                e.reason,
            ]
            for e in entries
        ],
        {7: MONEY_FORMAT, 8: POINTS_FORMAT},
    )
    notes = wb.create_sheet("说明")
    for r, text in enumerate(NOTES, start=1):
        _put(notes, r, 1, text)
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


NOTES = (
    "有责投诉、扣款、扣分：当月记入考核台账的记录合计（按记账时间，北京时间）；冲销记录为负数，"
    "在冲销当月计入。",
    "申诉成功 / 申诉失败：当月裁决的判责申诉中改判无责 / 维持原判的件数。",
    "逾期答复：当月受理的有效投诉中，超过处理时限答复或至今超过时限未答复的件数。",
    "满意率：当月受理的有效投诉中，回访满意（评分4–5分，未评分按回访结果）÷ 有回访结论的件数。",
    "有理由投诉随判责确定：有责、部分有责为有理由投诉，无责不是（complaints/figures.py）。",
)
