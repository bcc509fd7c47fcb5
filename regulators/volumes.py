"""Parcel volume (业务量): entered in the admin, imported from CSV/Excel, sent over the API.

An import is all or nothing: every row is checked first and a bad row is reported with its line
number; only a file without errors is stored, in one transaction. A row for a month and scope
already stored replaces its figure (the operations system corrects a month by sending it again).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Unit
from kernel.errors import InvalidInput, NotAllowed

from .bureau import PeriodError, month_of, parcels_of
from .models import ParcelVolume, Province, VolumeSource

MAX_ROWS = 20_000  # 12 months × units and provinces of a large network, with room to spare
MAX_BYTES = 5 * 1024 * 1024

# Column headers accepted in a file (Chinese as a quality report has them, or English).
HEADERS = {
    "month": ("月份", "month"),
    "unit": ("单位编码", "unit", "unit_code"),
    "province": ("省份", "province"),
    "parcels": ("业务量", "parcels", "volume"),
}
PERMISSION = "regulators.change_parcelvolume"


@dataclass(frozen=True)
class VolumeRow:
    month: date
    unit_id: int | None
    province: str
    parcels: int


def _province_code(text: str) -> str:
    """A province by its code (GD) or its name (广东, 广东省)."""
    text = (text or "").strip()
    if not text:
        return ""
    if text.upper() in Province.values:
        return text.upper()
    names = {str(label): code for code, label in Province.choices}
    for suffix in ("", "省", "市", "自治区"):
        if text.endswith(suffix) and text[: len(text) - len(suffix)] in names:
            return names[text[: len(text) - len(suffix)]]
    raise ValueError(_("省份“%(p)s”无效。") % {"p": text[:20]})


def check_rows(raw_rows: list[tuple[int, dict]]) -> list[VolumeRow]:
    """Check every (line, row); raise InvalidInput listing each bad row by its line number."""
    if not raw_rows:
        raise InvalidInput(_("没有业务量数据。"))
    if len(raw_rows) > MAX_ROWS:
        raise InvalidInput(_("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS})
    codes = {str(r.get("unit") or "").strip() for _line, r in raw_rows} - {""}
    units = dict(Unit.objects.filter(code__in=codes).values_list("code", "pk"))
    errors: dict[str, str] = {}
    rows: list[VolumeRow] = []
    seen: dict[tuple, int] = {}
    for line, raw in raw_rows:
        try:
            month = month_of(str(raw.get("month") or ""))
            code = str(raw.get("unit") or "").strip()
            province = _province_code(str(raw.get("province") or ""))
            if code and province:
                raise ValueError(_("单位编码与省份只能填写一项。"))
            if code and code not in units:
                raise ValueError(_("单位编码“%(c)s”不存在。") % {"c": code[:32]})
            parcels = parcels_of(raw.get("parcels"))
        except (ValueError, PeriodError) as exc:
            errors[_("第%(line)d行") % {"line": line}] = str(exc)
            continue
        row = VolumeRow(month, units.get(code), province, parcels)
        key = (row.month, row.unit_id, row.province)
        if key in seen:
            errors[_("第%(line)d行") % {"line": line}] = _(
                "与第%(other)d行重复（同一月份、同一范围）。"
            ) % {"other": seen[key]}
            continue
        seen[key] = line
        rows.append(row)
    if errors:
        raise InvalidInput(
            _("业务量数据有 %(n)d 行错误，未导入任何数据。") % {"n": len(errors)},
            field_errors=errors,
        )
    return rows


@transaction.atomic
def store(rows: list[VolumeRow], *, user, source: str) -> int:
    """Store checked rows (insert or replace per month and scope); return how many."""
    if user is None or not user.has_perm(PERMISSION):
        raise NotAllowed(_("只有质量监控主管可以录入业务量。"))
    for row in rows:
        ParcelVolume.objects.update_or_create(
            month=row.month,
            unit_id=row.unit_id,
            province=row.province,
            defaults={"parcels": row.parcels, "source": source, "updated_by": user},
        )
    return len(rows)


def _column_map(header: list) -> dict[str, int]:
    names = [str(h or "").strip().lower() for h in header]
    found = {}
    for key, aliases in HEADERS.items():
        for alias in aliases:
            if alias.lower() in names:
                found[key] = names.index(alias.lower())
                break
    if "month" not in found or "parcels" not in found:
        raise InvalidInput(_("文件第1行须为表头，至少包含“月份”和“业务量”两列。"))
    return found


def _blank(row) -> bool:
    return all(v is None or str(v).strip() == "" for v in row)


def _dicts(table: list[list]) -> list[tuple[int, dict]]:
    """(line number in the file, row by column) for the rows after the header; blank skipped."""
    if not table or _blank(table[0]):
        raise InvalidInput(_("文件为空或第1行不是表头。"))
    columns = _column_map(table[0])
    return [
        (line, {key: (row[i] if i < len(row) else None) for key, i in columns.items()})
        for line, row in enumerate(table[1:], start=2)
        if not _blank(row)
    ]


def read_file(name: str, content: bytes) -> list[tuple[int, dict]]:
    """Read a CSV (UTF-8, with or without BOM, or GBK as Excel in China saves it) or .xlsx."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(_("文件不能超过 5 MB。"))
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
            table = [list(r) for r in sheet.iter_rows(values_only=True)]
        except Exception:  # openpyxl raises many kinds on a damaged file
            raise InvalidInput(_("无法读取该 Excel 文件。")) from None
        for row in table:
            for i, value in enumerate(row):
                if isinstance(value, date):  # a month typed into Excel becomes a date
                    row[i] = f"{value:%Y-%m}"
        return _dicts(table)
    if lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput(_("CSV 文件编码无法识别（请使用 UTF-8 或 GBK）。"))
        table = list(csv.reader(io.StringIO(text)))
        return _dicts(table)
    raise InvalidInput(_("只支持 .csv 或 .xlsx 文件。"))


def import_file(name: str, content: bytes, *, user) -> int:
    """Check the whole file, then store it; a bad row stores nothing."""
    if user is None or not user.has_perm(PERMISSION):
        raise NotAllowed(_("只有质量监控主管可以录入业务量。"))
    return store(check_rows(read_file(name, content)), user=user, source=VolumeSource.IMPORT)


def seed_demo_volumes(stdout=None) -> int:
    """make run's demo: the company's volume for the last 13 months (so 监管指标 shows rates
    with 环比 and 同比 from the first start), and two provinces'. Idempotent: existing months
    are left as they are."""
    from django.utils import timezone

    month = timezone.localdate().replace(day=1)
    added = 0
    for _step in range(13):
        for province, parcels in (("", 40_000_000), ("GD", 9_000_000), ("ZJ", 6_500_000)):
            _row, created = ParcelVolume.objects.get_or_create(
                month=month,
                unit=None,
                province=province,
                defaults={"parcels": parcels, "source": VolumeSource.ADMIN},
            )
            added += created
        month = (month - timedelta(days=1)).replace(day=1)
    if stdout is not None and added:
        stdout.write(f"demo parcel volumes: {added} rows")
    return added
