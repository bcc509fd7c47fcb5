"""CSV and Excel exports of the dashboard's figures, with the period and filters in the file.

Only aggregates leave the system here: no customer's name or phone is in any export (SPEC §9).
Every row goes through kernel.spreadsheets, so a unit or category named like a formula
(`=HYPERLINK(…)`) stays text (issue 19 §7).
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kernel.spreadsheets import CsvWriter, append_row

from .reports import Selection, category_rows, kpi_rows, ranking_rows, trend_rows

RATE_FORMAT = "0.0%"
MONEY_FORMAT = "#,##0.00"


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "money":
        return Decimal(value)
    return value


def _kpi_header() -> list[str]:
    return ["指标", "本期", "上期", "变化", "分子", "分母"]


def _kpi_line(row: dict) -> list:
    kind = row["kind"]
    return [
        row["label"],
        _cell(row["value"], kind),
        _cell(row["previous"], kind),
        _cell(row["change"], kind),
        row["numerator"],
        row["denominator"],
    ]


def _rate_text(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def csv_report(sel: Selection) -> str:
    """One CSV file: filters, KPIs (rates as percentages), units, categories, daily trend."""
    out = io.StringIO()
    w = CsvWriter(out)
    w.writerow(["快递投诉质量监控报表"])
    for name, value in sel.filters():
        w.writerow([name, value])
    w.writerow([])
    w.writerow(_kpi_header())
    for row in kpi_rows(sel):
        line = _kpi_line(row)
        if row["kind"] == "rate":
            line[1:4] = [_rate_text(v) for v in line[1:4]]
        w.writerow(["" if v is None else v for v in line])
    w.writerow([])
    w.writerow(["单位", "受理量", "首次响应及时率", "处理及时率", "有理由投诉率"])
    for r in ranking_rows(sel):
        w.writerow(
            [r["unit"], r["received"], _rate_text(r["fr_rate"]), _rate_text(r["res_rate"]),
             _rate_text(r["justified_rate"])]
        )  # fmt: skip
    w.writerow([])
    w.writerow(["投诉类别", "受理量", "处理及时率", "有理由投诉率"])
    for r in category_rows(sel):
        w.writerow(
            [r["label"], r["received"], _rate_text(r["res_rate"]), _rate_text(r["justified_rate"])]
        )
    w.writerow([])
    w.writerow(["日期", "受理量", "闭环量", "超时事件"])
    for r in trend_rows(sel):
        w.writerow([r["day"], r["received"], r["closed"], r["breaches"]])
    # A byte-order mark so Excel opens the Chinese text as UTF-8.
    return "\ufeff" + out.getvalue()


def _sheet(wb: Workbook, title: str, filters, header: list[str], rows: list[list], formats):
    ws = wb.create_sheet(title)
    append_row(ws, ["快递投诉质量监控报表"])
    ws["A1"].font = Font(bold=True, size=14)
    for name, value in filters:
        append_row(ws, [name, value])
    ws.append([])
    append_row(ws, header)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for line in rows:
        append_row(ws, line)
        r = ws.max_row
        for col, fmt in formats(line).items():
            ws.cell(row=r, column=col).number_format = fmt
    for idx in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(idx)].width = 22 if idx == 1 else 14
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
    return ws


def xlsx_report(sel: Selection) -> bytes:
    """An Excel workbook (指标, 单位排名, 投诉类别, 每日趋势), the filters atop each sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    filters = sel.filters()
    kpis = kpi_rows(sel)

    def kpi_formats(line):
        row = next(k for k in kpis if k["label"] == line[0])
        fmt = {"rate": RATE_FORMAT, "money": MONEY_FORMAT, "hours": "0.00"}.get(row["kind"])
        return {c: fmt for c in (2, 3, 4)} if fmt else {}

    _sheet(wb, "指标", filters, _kpi_header(), [_kpi_line(k) for k in kpis], kpi_formats)
    _sheet(
        wb,
        "单位排名",
        filters,
        ["单位", "受理量", "首次响应及时率", "处理及时率", "有理由投诉率", "考核扣款", "考核扣分"],
        [
            [
                r["unit"],
                r["received"],
                r["fr_rate"],
                r["res_rate"],
                r["justified_rate"],
                r["assessment_amount"],
                r["assessment_points"],
            ]
            for r in ranking_rows(sel)
        ],
        lambda line: {**{c: RATE_FORMAT for c in (3, 4, 5)}, 6: MONEY_FORMAT, 7: "0.0"},
    )
    _sheet(
        wb,
        "投诉类别",
        filters,
        ["投诉类别", "受理量", "处理及时率", "有理由投诉率"],
        [
            [r["label"], r["received"], r["res_rate"], r["justified_rate"]]
            for r in category_rows(sel)
        ],
        lambda line: {c: RATE_FORMAT for c in (3, 4)},
    )
    _sheet(
        wb,
        "每日趋势",
        filters,
        ["日期", "受理量", "闭环量", "超时事件"],
        [[r["day"], r["received"], r["closed"], r["breaches"]] for r in trend_rows(sel)],
        lambda line: {},
    )
    for ws in wb.worksheets:
        ws["B2"].alignment = Alignment(horizontal="left")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_filename(sel: Selection, ext: str) -> str:
    return f"complaint-kpis-{sel.period.first:%Y%m%d}-{sel.period.last:%Y%m%d}.{ext}"
