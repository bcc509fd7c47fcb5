"""The 监管指标 workbook, in the layout of a monthly quality report: the summary with 环比 /
同比 / 行业平均 first, then problem types, provinces, 逾期 and the definitions."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _

from .indicators import Report

# A text cell starting with one of these is a formula to Excel (OWASP "CSV injection"): a unit
# named "=HYPERLINK(…)" must stay text. NOTE: a shared formula-neutralising helper is planned
# in kernel/; when it exists, use it here instead of this local copy.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(rep: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    title = f"{rep.current.period.label} {rep.current.scope.label} " + _("监管指标")

    def sheet(name, headers, rows, width=14):
        ws = book.create_sheet(name)
        ws.append([_cell(title)])
        ws["A1"].font = bold
        ws.append([_cell(h) for h in headers])
        for c in ws[2]:
            c.font = bold
        for row in rows:
            ws.append([_cell(v) for v in row])
        for letter in "ABCDEFGHIJ":
            ws.column_dimensions[letter].width = width
        ws.column_dimensions["A"].width = 20
        return ws

    book.remove(book.active)
    cur = rep.current
    summary = sheet(
        _("指标汇总"),
        (
            _("指标"),
            _("单位"),
            _("本期"),
            _("上期"),
            _("环比(%)"),
            _("去年同期"),
            _("同比(%)"),
            _("行业平均"),
        ),
        [
            (c.label, c.unit, c.current, c.previous, c.mom, c.year_before, c.yoy, c.industry)
            for c in rep.comparisons
        ],
    )
    summary.append([])
    for label, value in (
        (_("业务量（件）"), cur.volume.parcels),
        (_("申诉件数"), cur.appeals),
        (_("有效申诉件数"), cur.effective),
        (_("满意件数"), cur.satisfied),
        (_("有效投诉件数"), cur.complaints),
    ):
        summary.append([_cell(label), None, _cell(value)])
    sheet(
        _("按问题类型"),
        (
            _("问题类型"),
            _("申诉件数"),
            _("申诉率"),
            _("有效申诉件数"),
            _("有效申诉率"),
            _("满意件数"),
            _("满意率(%)"),
            _("投诉件数"),
            _("投诉率"),
        ),
        [
            (
                t.label,
                t.appeals,
                t.appeal_rate,
                t.effective,
                t.effective_rate,
                t.satisfied,
                t.satisfaction,
                t.complaints if cur.complaints is not None else None,
                t.complaint_rate,
            )
            for t in rep.types
        ],
    )
    sheet(
        _("按省份"),
        (
            _("省份"),
            _("业务量（件）"),
            _("申诉件数"),
            _("申诉率"),
            _("有效申诉件数"),
            _("有效申诉率"),
            _("满意率(%)"),
        ),
        [
            (
                p.label,
                p.parcels,
                p.appeals,
                p.appeal_rate,
                p.effective,
                p.effective_rate,
                p.satisfaction,
            )
            for p in rep.provinces
        ],
    )
    sheet(
        _("逾期件数"),
        (_("企业"), *(label for _code, label in rep.overdue.provinces), _("合计")),
        [(name, *cells, total) for name, cells, total in rep.overdue.rows],
    )
    notes = book.create_sheet(_("说明"))
    for note in rep.notes:
        notes.append([_cell(str(note))])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
