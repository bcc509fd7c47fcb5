"""Benchmark: server time of the branch work queue with a large database (`make bench-queue`).

Run by `make bench-queue` inside scripts/with-test-services.sh (a throwaway PostgreSQL). Creates
the database, migrates, bulk-inserts BENCH_COMPLAINTS synthetic complaints in SQL batches
(about 5 % open, spread over 200 branches, so a branch has a few hundred open tickets), then
times the queue page in-process with Django's test client, as branch staff and as a
supervisor (all units), and prints p50 / p95 / max in milliseconds. Each user has three saved
views, so every page carries their counts (issue 20 §3); then the page is timed with filters
and on a later page (the cursor). Not part of `make test`.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time

BRANCHES = 200
BATCH = 100_000
RUNS = 60
# The saved views each user has (their counts ride on every page) and the filters timed.
SAVED_VIEWS = (("已超时", "due=overdue"), ("紧急", "flag=urgent"), ("未分配", "handler=none"))
FILTERS = (
    "due=overdue&flag=urgent",
    "handler=none&category=loss",
    "status=verifying&channel=api&due=today",
    "flag=repeat&accepted_from=2026-01-01",
)
NEXT = re.compile(r'cursor=([^"&]+)" id="queue-next"')


def _time(client, connection, params: dict, label: str) -> None:
    from django.test.utils import CaptureQueriesContext

    client.get("/queue/", params)  # warm up
    timings = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/queue/", params)
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code  # nosec B101  # benchmark check
    timings.sort()
    if os.environ.get("BENCH_EXPLAIN"):
        for query in queries.captured_queries[-2:]:  # the rows, then the counts
            with connection.cursor() as cur:
                cur.execute("EXPLAIN ANALYZE " + query["sql"])
                print("\n".join(row[0] for row in cur.fetchall()))
    p95 = timings[int(len(timings) * 0.95) - 1]
    rows = response.content.decode().count('class="queue-row')
    print(
        f"  {label:45s} rows={rows:3d} queries={len(queries)} "
        f"p50={statistics.median(timings):6.1f} ms  p95={p95:6.1f} ms  max={timings[-1]:6.1f} ms"
    )


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


INSERT = """
INSERT INTO complaints_complaint (
  ticket_no, status, channel, tracking_no, complainant_name, phone, party, category,
  description, demand, demand_detail, service, insured, unit_id, priority, urgent_reasons,
  key_account, urgent_contents, is_escalated, is_external, chase_count, repeat_count,
  access_code_hash, accepted_at, updated_at, first_response_due, resolution_due,
  statutory_due, next_deadline, paused_seconds, closed_at, first_response_at,
  answered_at, first_answered_at
)
SELECT
  'BM' || lpad(g::text, 14, '0'),
  CASE WHEN g % 20 = 0 THEN (ARRAY['accepted','verifying','answered','follow_up'])[1 + (g / 20) % 4]
       ELSE 'closed' END,
  'api', 'BM' || lpad((g / 2)::text, 12, '0'), '基准客户',
  '139' || lpad((g % 100000000)::text, 8, '0'), 'recipient',
  (ARRAY['delay','loss','damage','short','misdelivery','attitude','fee','other'])[1 + g % 8],
  '基准测试投诉内容', '', '', 'express', false, {first_unit} + ((g / 20) % {branches}),
  CASE WHEN g % 97 = 0 THEN 'urgent' ELSE 'normal' END, '[]'::jsonb,
  false, false, false, false, 0, (g % 13 = 0)::int,
  md5(g::text) || md5(g::text), acc, acc, acc + interval '24 hours', acc + interval '72 hours',
  acc + interval '7 days',
  CASE WHEN g % 20 = 0 THEN acc + interval '24 hours' END, 0,
  CASE WHEN g % 20 <> 0 THEN acc + interval '30 hours' END,
  CASE WHEN g % 20 <> 0 THEN acc + interval '2 hours' END,
  CASE WHEN g % 20 <> 0 THEN acc + interval '20 hours' END,
  CASE WHEN g % 20 <> 0 THEN acc + interval '20 hours' END
FROM (
  SELECT g, now() - (({total} - g) * interval '30 seconds') AS acc
  FROM generate_series({start}, {stop}) AS g
) AS rows
"""


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    _ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from complaints.models import Complaint, Role, SavedView, StaffProfile, Unit

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    total = int(os.environ.get("BENCH_COMPLAINTS", "1000000"))
    call_command("migrate", verbosity=0)
    company, _ = Unit.objects.get_or_create(
        code="BM", defaults={"name": "基准公司", "kind": "company"}
    )
    if not Unit.objects.filter(code="BM-0001").exists():
        Unit.objects.bulk_create(
            Unit(code=f"BM-{i:04d}", name=f"基准网点{i}", kind="branch", parent=company)
            for i in range(BRANCHES)
        )
    first_unit = Unit.objects.get(code="BM-0000").pk
    have = Complaint.objects.filter(ticket_no__startswith="BM").count()
    started = time.monotonic()
    for start in range(have + 1, total + 1, BATCH):
        stop = min(start + BATCH - 1, total)
        with connection.cursor() as cur:
            cur.execute(
                INSERT.format(
                    first_unit=first_unit, branches=BRANCHES, total=total, start=start, stop=stop
                )
            )
        print(f"inserted {stop:,} complaints", file=sys.stderr)
    if have < total:
        print(f"bulk insert took {time.monotonic() - started:.0f} s", file=sys.stderr)

    User = get_user_model()
    users = {}
    for name, role, unit in (
        ("bench_branch", Role.BRANCH, Unit.objects.get(code="BM-0007")),
        ("bench_supervisor", Role.SUPERVISOR, company),
    ):
        user, _ = User.objects.get_or_create(username=name)
        StaffProfile.objects.get_or_create(user=user, defaults={"role": role, "unit": unit})
        for view_name, query in SAVED_VIEWS:
            SavedView.objects.get_or_create(
                owner=user, list="queue", name=view_name, defaults={"query": query}
            )
        users[name] = user

    if have < total:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE complaints_complaint")  # as autovacuum would, in time
    open_count = Complaint.objects.open().count()
    print(f"database: {Complaint.objects.count():,} complaints, {open_count:,} open")
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        for size in (50, 200):
            client.get("/queue/", {"size": size})  # warm up
            timings = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get("/queue/", {"size": size})
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.status_code  # nosec B101  # benchmark check
            timings.sort()
            if os.environ.get("BENCH_EXPLAIN"):
                for query in queries.captured_queries[-2:]:
                    with connection.cursor() as cur:
                        cur.execute("EXPLAIN ANALYZE " + query["sql"])
                        print("\n".join(row[0] for row in cur.fetchall()))
            p95 = timings[int(len(timings) * 0.95) - 1]
            rows = response.content.decode().count('class="queue-row')
            print(
                f"{name:17s} size={size:3d} rows={rows:3d} queries={len(queries)} "
                f"p50={statistics.median(timings):6.1f} ms  p95={p95:6.1f} ms  "
                f"max={timings[-1]:6.1f} ms"
            )

    # Filters and the cursor's later pages (issue 20 §3), with the saved views' counts.
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        print(f"{name}: filters and cursor pages (size 50, {len(SAVED_VIEWS)} saved views)")
        for query in FILTERS:
            params = dict(pair.split("=") for pair in query.split("&"))
            _time(client, connection, params, query)
        page = client.get("/queue/", {"size": 50}).content.decode()
        for number in (2, 3):
            found = NEXT.search(page)
            if not found:
                break
            params = {"size": 50, "cursor": found.group(1)}
            _time(client, connection, params, f"page {number} (cursor)")
            page = client.get("/queue/", params).content.decode()

    # Search (issue 4: "results in under a second on a large database").
    client = Client()
    client.force_login(users["bench_supervisor"])
    sample = Complaint.objects.filter(ticket_no__startswith="BM").order_by("-id").first()
    for label, q in (
        ("ticket", sample.ticket_no),
        ("tracking", sample.tracking_no),
        ("phone", sample.phone),
    ):
        timings = []
        for _ in range(20):
            t0 = time.perf_counter()
            # Posted: a phone number is not searched from a URL (issue 19 §11).
            response = client.post("/search/", {"q": q}, headers={"HX-Request": "true"})
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code  # nosec B101  # benchmark check
        timings.sort()
        p50 = statistics.median(timings)
        print(f"search by {label:8s} p50={p50:6.1f} ms  max={timings[-1]:6.1f} ms")


if __name__ == "__main__":
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = "/tmp/bench.prof"  # nosec B108  # a developer's own profiling run
        cProfile.run("main()", profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    else:
        main()
