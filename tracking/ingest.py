"""Scan events in: checked, deduplicated, stored in bulk, the waybills' summaries kept.

Push and pull share this path; a batch is checked whole before anything is written. See
docs/tracking.md, "Two transports, one store".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from psycopg2.extras import execute_values

from complaints.rules import normalize_tracking_no
from kernel.errors import InvalidInput

from . import journey_rules, partitions
from .models import ScanEvent, Waybill

# A scan may be stamped a little ahead of our clock (the TMS's clock drifts), not a day.
FUTURE_TOLERANCE = timedelta(hours=1)
PAGE = 1000  # rows per INSERT statement

_TEXT_FIELDS = (
    # (input name, stored as, max length, label)
    ("unit_code", "unit_code", 32, _lazy("单位编码")),
    ("unit_name", "unit_name", 100, _lazy("单位名称")),
    ("operator", "operator", 50, _lazy("操作人")),
    ("text", "detail", 500, _lazy("说明")),
)


class Event(NamedTuple):
    """One checked event, ready to store."""

    waybill: str
    at: datetime
    scan_type: str
    code: str
    unit_code: str
    unit_name: str
    operator: str
    detail: str
    key: str


@dataclass(frozen=True)
class WaybillInfo:
    """What a TMS says of a waybill besides its scans."""

    waybill: str
    promised_at: datetime | None = None
    service: str = ""


@dataclass
class Batch:
    events: list[Event] = field(default_factory=list)
    waybills: list[WaybillInfo] = field(default_factory=list)
    expired: int = 0


@dataclass(frozen=True)
class Stored:
    received: int
    stored: int
    duplicates: int
    expired: int
    # The waybills that got new events or news of their promise: their complaints are checked.
    waybills: frozenset[str]

    def as_json(self) -> dict[str, int]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "expired": self.expired,
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).replace("\x00", "").strip()


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 time; without an offset it is Beijing time (what TMSs in China send)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _waybill(value: Any) -> str:
    waybill = normalize_tracking_no(_text(value))
    if not waybill or len(waybill) > 40 or not waybill.isascii() or not waybill.isalnum():
        return ""
    return waybill


def parse(
    payload: Any, *, now: datetime, default_waybill: str = "", prefix: str = "events"
) -> Batch:
    """Check a batch of events (push body or pull answer); raise InvalidInput naming each bad one.

    Unknown scan codes are kept as 其他 with their own code; events older than the retention
    are counted in `expired` and not kept.
    """
    if not isinstance(payload, Mapping):
        raise InvalidInput(_("请求内容必须是JSON对象。"))
    raw_events = payload.get("events", [])
    raw_waybills = payload.get("waybills", [])
    if not isinstance(raw_events, list) or not isinstance(raw_waybills, list):
        raise InvalidInput(
            _("events 和 waybills 必须是数组。"),
            field_errors={prefix: _("events 和 waybills 必须是数组。")},
        )
    limit = int(settings.TRACKING["PUSH_MAX_EVENTS"])
    if len(raw_events) > limit:
        message = _("一次最多推送%(n)s条轨迹。") % {"n": limit}
        raise InvalidInput(message, field_errors={prefix: message})
    aliases = settings.TRACKING.get("SCAN_ALIASES") or {}
    kept_from = timezone.make_aware(
        datetime.combine(partitions.oldest_kept(now), datetime.min.time())
    )
    errors: dict[str, str] = {}
    batch = Batch()
    for index, raw in enumerate(raw_events):
        where = f"{prefix}[{index}]"
        if not isinstance(raw, Mapping):
            errors[where] = _("每条轨迹必须是JSON对象。")
            continue
        event = _event(raw, where, now, default_waybill, aliases, errors)
        if event is None:
            continue
        if event.at < kept_from:
            batch.expired += 1
            continue
        batch.events.append(event)
    for index, raw in enumerate(raw_waybills):
        where = f"waybills[{index}]"
        info = _info(raw, where, errors)
        if info is not None:
            batch.waybills.append(info)
    if errors:
        raise InvalidInput(_("轨迹数据有误，本批未保存，请修正后重新推送。"), field_errors=errors)
    return batch


def _event(raw, where, now, default_waybill, aliases, errors) -> Event | None:
    waybill = _waybill(raw.get("waybill") or default_waybill)
    if not waybill:
        errors[f"{where}.waybill"] = _("运单号缺失或格式不正确（字母和数字，最长40位）。")
        return None
    at = _moment(raw.get("time"))
    if at is None:
        errors[f"{where}.time"] = _(
            "扫描时间缺失或不是ISO 8601格式（如 2026-11-16T10:00:00+08:00）。"
        )
        return None
    if at > now + FUTURE_TOLERANCE:
        errors[f"{where}.time"] = _("扫描时间晚于当前时间，请核对TMS时钟。")
        return None
    code = _text(raw.get("type"))
    if not code or len(code) > 32:
        errors[f"{where}.type"] = _("扫描类型缺失或超过32个字符。")
        return None
    values = {}
    for name, stored_as, max_len, label in _TEXT_FIELDS:
        value = _text(raw.get(name))
        if len(value) > max_len:
            errors[f"{where}.{name}"] = _("%(label)s不能超过%(n)s个字符。") % {
                "label": label,
                "n": max_len,
            }
            return None
        values[stored_as] = value
    event_id = _text(raw.get("id"))
    if len(event_id) > 64:
        errors[f"{where}.id"] = _("事件编号不能超过64个字符。")
        return None
    key = journey_rules.event_key(
        event_id=event_id,
        waybill=waybill,
        at=at,
        code=code,
        unit_code=values["unit_code"],
        operator=values["operator"],
    )
    return Event(waybill, at, journey_rules.scan_type_of(code, aliases), code, key=key, **values)


def _info(raw, where, errors) -> WaybillInfo | None:
    if not isinstance(raw, Mapping):
        errors[where] = _("运单信息必须是JSON对象。")
        return None
    waybill = _waybill(raw.get("waybill"))
    if not waybill:
        errors[f"{where}.waybill"] = _("运单号缺失或格式不正确（字母和数字，最长40位）。")
        return None
    promised = None
    if raw.get("promised_at") not in (None, ""):
        promised = _moment(raw.get("promised_at"))
        if promised is None:
            errors[f"{where}.promised_at"] = _("承诺送达时间不是ISO 8601格式。")
            return None
    return WaybillInfo(waybill, promised, _text(raw.get("service"))[:40])


# --- Storing ---------------------------------------------------------------------------------

_COLUMNS = (
    "waybill",
    "scanned_at",
    "scan_type",
    "type_code",
    "unit_code",
    "unit_name",
    "operator",
    "detail",
    "event_key",
    "source",
    "received_at",
)
_INSERT_EVENTS = (
    f"INSERT INTO {ScanEvent._meta.db_table} ({', '.join(_COLUMNS)}) VALUES %s "  # nosec B608  # the model's table and columns
    "ON CONFLICT (event_key, scanned_at) DO NOTHING "
    "RETURNING waybill, scanned_at, scan_type, unit_code"
)
_W = Waybill._meta.db_table
_NEWER = (
    f"EXCLUDED.last_event_at IS NOT NULL AND ({_W}.last_event_at IS NULL "
    f"OR EXCLUDED.last_event_at >= {_W}.last_event_at)"
)
_UPSERT_WAYBILLS = (
    f"INSERT INTO {_W} (tracking_no, promised_at, service, last_event_at, last_scan_type, "  # nosec B608  # the model's table
    "last_unit_code, signed_at, last_pulled_at, unknown_to_tms, first_seen_at) VALUES %s "
    "ON CONFLICT (tracking_no) DO UPDATE SET "
    f"promised_at = COALESCE(EXCLUDED.promised_at, {_W}.promised_at), "
    f"service = CASE WHEN EXCLUDED.service <> '' THEN EXCLUDED.service ELSE {_W}.service END, "
    # The last scan is the latest by time, whatever order the events arrive in.
    f"last_scan_type = CASE WHEN {_NEWER} THEN EXCLUDED.last_scan_type "
    f"ELSE {_W}.last_scan_type END, "
    f"last_unit_code = CASE WHEN {_NEWER} THEN EXCLUDED.last_unit_code "
    f"ELSE {_W}.last_unit_code END, "
    f"last_event_at = GREATEST({_W}.last_event_at, EXCLUDED.last_event_at), "
    f"signed_at = GREATEST({_W}.signed_at, EXCLUDED.signed_at), "
    f"last_pulled_at = GREATEST({_W}.last_pulled_at, EXCLUDED.last_pulled_at), "
    f"unknown_to_tms = CASE WHEN EXCLUDED.last_pulled_at IS NOT NULL "
    f"THEN EXCLUDED.unknown_to_tms ELSE {_W}.unknown_to_tms END"
)


def store(
    batch: Batch,
    *,
    source: str,
    now: datetime,
    pulled: Iterable[str] = (),
    unknown: Iterable[str] = (),
) -> Stored:
    """Store a checked batch; return what was new. Call outside a transaction when you can:
    a missing month's partition is created first, in a transaction of its own."""
    partitions.ensure({partitions.month_of(e.at) for e in batch.events})
    with transaction.atomic():
        inserted = _insert_events(batch.events, source=source, now=now)
        _upsert_waybills(batch, inserted, now=now, pulled=set(pulled), unknown=set(unknown))
    return Stored(
        received=len(batch.events) + batch.expired,
        stored=len(inserted),
        duplicates=len(batch.events) - len(inserted),
        expired=batch.expired,
        waybills=frozenset(row[0] for row in inserted) | {i.waybill for i in batch.waybills},
    )


def _insert_events(events: list[Event], *, source: str, now: datetime) -> list[tuple]:
    if not events:
        return []
    # The same event twice in one batch: keep one (ON CONFLICT cannot see its own rows twice).
    unique = {(e.key, e.at): e for e in events}
    rows = [
        (
            e.waybill,
            e.at,
            e.scan_type,
            e.code,
            e.unit_code,
            e.unit_name,
            e.operator,
            e.detail,
            e.key,
            source,
            now,
        )
        for e in unique.values()
    ]
    with connection.cursor() as cursor:
        return execute_values(cursor.cursor, _INSERT_EVENTS, rows, page_size=PAGE, fetch=True)


def _upsert_waybills(
    batch: Batch, inserted: list[tuple], *, now: datetime, pulled: set[str], unknown: set[str]
) -> None:
    summary: dict[str, dict] = {}
    for waybill, at, scan_type, unit_code in inserted:
        row = summary.setdefault(waybill, {"last": None, "signed": None})
        if row["last"] is None or at >= row["last"][0]:
            row["last"] = (at, scan_type, unit_code)
        if scan_type == journey_rules.SIGN and (row["signed"] is None or at > row["signed"]):
            row["signed"] = at
    infos = {info.waybill: info for info in batch.waybills}
    rows = []
    for waybill in sorted(set(summary) | set(infos) | pulled):  # sorted: no deadlocks
        info = infos.get(waybill, WaybillInfo(waybill))
        seen = summary.get(waybill, {"last": None, "signed": None})
        last_at, last_type, last_unit = seen["last"] or (None, "", "")
        rows.append(
            (
                waybill,
                info.promised_at,
                info.service,
                last_at,
                last_type,
                last_unit,
                seen["signed"],
                now if waybill in pulled else None,
                waybill in unknown,
                now,
            )
        )
    if not rows:
        return
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, _UPSERT_WAYBILLS, rows, page_size=PAGE)
