"""Cells for CSV and Excel exports that a spreadsheet can never run as a formula.

Every export writes through here: text a spreadsheet would run gets a leading `'` (OWASP "CSV
injection"), plain numbers stay numbers. See docs/security.md, "资金与授权 (issue 19)".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)%?")


def inert(value: Any) -> Any:
    """The value as it may go into a cell: formula-like text prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def inert_row(values: Iterable[Any]) -> list[Any]:
    return [inert(v) for v in values]


class CsvWriter:
    """csv.writer whose every row is made inert first."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, values: Iterable[Any]):
        return self._writer.writerow(inert_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet: text inert, and stored as text, not a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    row = inert_row(values)
    if isinstance(sheet, WriteOnlyWorksheet):  # cells cannot be revisited: type them first
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
