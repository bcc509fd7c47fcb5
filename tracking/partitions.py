"""The scans' monthly partitions: created before they are needed, dropped after the retention.

Dropping a month is one catalogue change, where deleting its rows would be hours of vacuum;
creation takes an advisory lock. See docs/tracking.md, "Two transports, one store".
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import ScanEvent

log = logging.getLogger(__name__)

PARENT = ScanEvent._meta.db_table
_NAME = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")
_LOCK = 72_021  # pg_advisory_xact_lock key: partition changes, one at a time

# Months known to exist in this process, learnt outside any transaction (a committed partition
# disappears only when maintain() drops it, which clears this).
_known: set[date] = set()


def month_of(moment: datetime) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def name_of(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    tz = timezone.get_default_timezone()
    return datetime(month.year, month.month, 1, tzinfo=tz).isoformat()


def existing() -> set[date]:
    """The months that have a partition, read from the catalogue."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = set()
    for name in names:
        match = _NAME.match(name)
        if match:
            months.add(date(int(match[1]), int(match[2]), 1))
    return months


def ensure(months: set[date]) -> None:
    """Create the partitions of these months that do not exist yet (outside any push)."""
    # Inside a caller's transaction a month created here may yet be rolled back: then nothing
    # is remembered, and the catalogue is asked each time.
    remember = not connection.in_atomic_block
    known = _known if remember else set()
    missing = months - known
    if not missing:
        return
    known.update(existing())
    for month in sorted(months - known):
        _create(month)
        known.add(month)


def _create(month: date) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {name_of(month)} PARTITION OF {PARENT} "  # nosec B608  # names built from dates
            "FOR VALUES FROM (%s) TO (%s)",
            [_bound(month), _bound(add_months(month, 1))],
        )
    log.info("created scan partition %s", name_of(month))


def oldest_kept(now: datetime) -> date:
    """The first month still kept: earlier months are past the retention."""
    return add_months(month_of(now), -int(settings.TRACKING["RETENTION_MONTHS"]))


def maintain(*, now: datetime | None = None) -> dict[str, list[str]]:
    """Create this month and the next ones, drop the months past the retention."""
    now = now or timezone.now()
    this = month_of(now)
    ahead = int(settings.TRACKING["PARTITIONS_AHEAD"])
    _known.clear()
    have = existing()
    created = []
    for n in range(ahead + 1):
        month = add_months(this, n)
        if month not in have:
            _create(month)
            created.append(name_of(month))
    dropped = []
    keep_from = oldest_kept(now)
    for month in sorted(m for m in have if m < keep_from):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            cursor.execute(f"DROP TABLE IF EXISTS {name_of(month)}")  # nosec B608  # from dates
        dropped.append(name_of(month))
        log.info("dropped scan partition %s (past the retention)", name_of(month))
    _known.clear()
    return {"created": created, "dropped": dropped}
