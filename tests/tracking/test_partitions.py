"""The scans' table is partitioned by month: months made ahead, expired months dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from tracking import partitions
from tracking.models import ScanEvent

from .conftest import event

pytestmark = pytest.mark.django_db(transaction=True)


def _partition_of(waybill: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM tracking_scanevent WHERE waybill = %s",
            [waybill],
        )
        return cursor.fetchone()[0]


def test_the_table_is_range_partitioned_on_the_scan_time(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat, a.attname FROM pg_partitioned_table p "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
            "WHERE p.partrelid = 'tracking_scanevent'::regclass"
        )
        assert cursor.fetchone() == ("r", "scanned_at")


def test_a_scan_lands_in_its_beijing_month(push, settings):
    settings.TRACKING = {**settings.TRACKING, "RETENTION_MONTHS": 120}
    # 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Beijing: November's partition.
    push({"events": [event("SF1", datetime(2026, 10, 31, 16, 30, tzinfo=UTC), "到达", "A")]})
    push({"events": [event("SF2", datetime(2026, 10, 31, 15, 30, tzinfo=UTC), "到达", "A")]})
    assert _partition_of("SF1") == "tracking_scanevent_y2026m11"
    assert _partition_of("SF2") == "tracking_scanevent_y2026m10"


def test_maintenance_creates_the_months_ahead_and_drops_the_expired(db, settings):
    settings.TRACKING = {**settings.TRACKING, "RETENTION_MONTHS": 2, "PARTITIONS_AHEAD": 2}
    partitions.ensure({date(2026, 6, 1), date(2026, 8, 1)})
    ScanEvent.objects.create(
        waybill="OLD",
        scanned_at=datetime(2026, 6, 10, tzinfo=UTC),
        scan_type="arrive",
        event_key="k-old",
        source="push",
        received_at=datetime(2026, 6, 10, tzinfo=UTC),
    )
    done = partitions.maintain(now=datetime(2026, 10, 15, tzinfo=UTC))
    months = partitions.existing()
    assert {date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)} <= months
    assert date(2026, 6, 1) not in months and "tracking_scanevent_y2026m06" in done["dropped"]
    assert date(2026, 8, 1) in months  # within two months of October: kept
    assert not ScanEvent.objects.filter(waybill="OLD").exists()
    assert partitions.maintain(now=datetime(2026, 10, 15, tzinfo=UTC)) == {
        "created": [],
        "dropped": [],
    }
