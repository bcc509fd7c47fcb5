"""Benchmark: push ingestion of scan events (`make bench-tracking`; not part of `make test`).

Run inside scripts/with-test-services.sh on a durable PostgreSQL (fsync and synchronous commit
on). Creates the database and migrates, preloads BENCH_TRACKING_PRELOAD events spread over the
last twelve months (one statement per month, so the monthly partitions and the indexes are not
empty), then sends signed pushes through the real push view (Django's test client: signature,
JSON, checks, INSERT … ON CONFLICT DO NOTHING, the waybills' upsert, the complaints lookup) for
BENCH_TRACKING_SECONDS: batches of BENCH_TRACKING_BATCH events for new waybills, every fifth
batch a re-send of an earlier one (the TMS retrying: all duplicates). Prints events per second
(received, stored, deduplicated) and the batch latencies.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta

PRELOAD = int(os.environ.get("BENCH_TRACKING_PRELOAD", "1000000"))
SECONDS = float(os.environ.get("BENCH_TRACKING_SECONDS", "30"))
BATCH = int(os.environ.get("BENCH_TRACKING_BATCH", "500"))
TYPES = ["收件", "发往", "到达", "发往", "到达", "派件", "签收"]


def _ensure_database() -> None:
    import psycopg2
    from psycopg2 import sql

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


PRELOAD_MONTH = """
INSERT INTO tracking_scanevent (waybill, scanned_at, scan_type, type_code, unit_code, unit_name,
  operator, detail, event_key, source, received_at)
SELECT 'PL' || lpad((g / 7)::text, 12, '0'), %s + (g %% 600000) * interval '4 seconds',
  (ARRAY['collect','depart','arrive','depart','arrive','deliver','sign'])[1 + g %% 7], '',
  'B' || (g %% 500), '基准网点', '', '', 'pl-' || g, 'push', now()
FROM generate_series(%s, %s) AS g
"""


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tests.tracking.conftest import signed_headers
    from tracking import partitions

    call_command("migrate", verbosity=0)
    now = timezone.now()
    months = [partitions.add_months(partitions.month_of(now), -n) for n in range(12)]
    partitions.ensure(set(months))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracking_scanevent")
        have = cursor.fetchone()[0]
        if have < PRELOAD:
            began = time.monotonic()
            per_month = PRELOAD // len(months)
            for index, month in enumerate(months[1:] + months[:1]):
                start = datetime(month.year, month.month, 1, tzinfo=timezone.get_default_timezone())
                cursor.execute(
                    PRELOAD_MONTH,
                    [start, have + index * per_month, have + (index + 1) * per_month - 1],
                )
            cursor.execute("ANALYZE tracking_scanevent")
            print(f"preloaded {PRELOAD:,} events in {time.monotonic() - began:.1f} s")

    client = Client()
    sent: list[bytes] = []
    received = stored = duplicates = 0
    latencies = []
    began = time.monotonic()
    n = 0
    while time.monotonic() - began < SECONDS:
        n += 1
        if n % 5 == 0 and sent:
            body = sent[n % len(sent)]  # a retry of an earlier batch
        else:
            base = timezone.now() - timedelta(hours=2)
            events = [
                {
                    "id": f"BT{n:07d}-{i:04d}",
                    "waybill": f"BT{n:07d}{i // len(TYPES):04d}",
                    "time": (base + timedelta(minutes=i % len(TYPES))).isoformat(),
                    "type": TYPES[i % len(TYPES)],
                    "unit_code": f"B{i % 500}",
                    "unit_name": "基准网点",
                    "operator": "基准操作员",
                    "text": "基准扫描说明",
                }
                for i in range(BATCH)
            ]
            body = json.dumps({"events": events}, ensure_ascii=False).encode()
            sent.append(body)
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/tracking/events/",
            data=body,
            content_type="application/json",
            **signed_headers(body),
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            print(response.status_code, response.content[:500])
            sys.exit(1)
        result = response.json()
        received += result["received"]
        stored += result["stored"]
        duplicates += result["duplicates"]
    elapsed = time.monotonic() - began
    latencies.sort()
    rate = received / elapsed
    print(
        f"push ingestion: {received:,} events in {elapsed:.1f} s = {rate:,.0f} events/s "
        f"({stored:,} stored, {duplicates:,} duplicates refused by the key) in batches of {BATCH}; "
        f"batch p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f} ms, max {latencies[-1]:.0f} ms; "
        f"table {PRELOAD:,}+ rows in monthly partitions"
    )
    if rate < 2000:
        print("below the 2,000 events/s the issue asks for")
        sys.exit(1)


if __name__ == "__main__":
    main()
