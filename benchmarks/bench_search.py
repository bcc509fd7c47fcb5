"""Benchmark: the search box on 1M complaints (`make bench-search`, issue 20 §4).

Run inside scripts/with-test-services.sh (a throwaway PostgreSQL). Creates the database,
migrates, then bulk-inserts BENCH_COMPLAINTS synthetic complaints in SQL batches like
bench_queue does, but with what search needs to be honest: random phone numbers (139 and eight
digits), names 测试客户N and complaint texts built from a vocabulary of phrases, so a word
matches a realistic share of the table instead of all or none of it. The four trigram indexes
are dropped for the load and built afterwards (faster than maintaining them row by row).

Then it times POST /search/ in-process with Django's test client (server time, no network)
as a supervisor (the whole company: the widest scope) and as branch staff, and prints
p50 / p95 / max in milliseconds, the number of matches, the queries per page and the load
average. Target: p95 <= 300 ms for a 4-digit partial phone and a two-word Chinese phrase.
Not part of `make test`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

BRANCHES = 200
BATCH = 100_000
RUNS = 40
SEARCH_INDEXES = (
    "complaint_phone_trgm",
    "complaint_tracking_trgm",
    "complaint_ticket_trgm",
    "complaint_text_trgm",
)

# Complaint texts: one opening, one detail and one demand, chosen per row by its number.
OPENINGS = [
    "快件延误三天仍未送达",
    "物流信息一直不更新",
    "外包装破损严重",
    "快递员未联系就放在驿站",
    "签收后发现少了一件",
    "派件员态度恶劣",
    "运单显示已签收但本人未收到",
    "包裹被送到了错误地址",
    "寄件时多收了运费",
    "快件在中转站滞留",
    "生鲜产品到货时已经变质",
    "快递员要求到楼下自取",
    "包裹外箱被雨水浸湿",
    "快件丢失至今没有结果",
    "客服电话一直打不通",
    "上门取件预约后无人来",
    "内件玻璃杯破碎",
    "保价快件丢失",
    "驿站收取额外保管费",
    "投递时间与承诺不符",
]
DETAILS = [
    "已经多次联系网点",
    "网点说会核实但没有回复",
    "客服只让继续等待",
    "物流轨迹停在分拨中心",
    "快递员电话关机",
    "包裹里是给孩子的生日礼物",
    "里面是重要的合同文件",
    "已拍照留存证据",
    "邻居代收后找不到了",
    "驿站工作人员推卸责任",
    "同一地址上周也发生过",
    "商家也在催促处理",
]
DEMANDS = [
    "要求尽快派送",
    "要求按保价金额赔偿",
    "要求赔偿损失",
    "要求退还多收的运费",
    "要求快递员道歉",
    "要求查明原因并给出说明",
    "要求加快处理",
    "希望今天之内给答复",
]

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
  'TS' || to_char(acc AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(g::text, 8, '0'),
  CASE WHEN g % 20 = 0 THEN (ARRAY['accepted','verifying','answered','follow_up'])[1 + (g / 20) % 4]
       ELSE 'closed' END,
  'api', 'SF' || lpad((abs(hashint8extended(g, 2)) % 10000000000000)::text, 13, '0'),
  '测试客户' || (g % 50000),
  '139' || lpad((abs(hashint8extended(g, 1)) % 100000000)::text, 8, '0'), 'recipient',
  (ARRAY['delay','loss','damage','short','misdelivery','attitude','fee','other'])[1 + g % 8],
  (%(openings)s)[1 + (hashint4(g::int) & 65535) % %(n_openings)s] || '，'
    || (%(details)s)[1 + (hashint4(g::int + 7) & 65535) % %(n_details)s] || '，'
    || (%(demands)s)[1 + (hashint4(g::int + 13) & 65535) % %(n_demands)s] || '。',
  '', '', 'express', false, {first_unit} + (g % {branches}),
  CASE WHEN g % 97 = 0 THEN 'urgent' ELSE 'normal' END, '[]'::jsonb,
  false, false, false, false, 0, 0,
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


def _array(items: list[str]) -> str:
    quoted = ",".join("'" + item.replace("'", "''") + "'" for item in items)
    return f"ARRAY[{quoted}]"


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


def _load(total: int) -> None:
    """Insert the complaints missing up to `total`, the search indexes dropped meanwhile."""
    from django.db import connection

    from complaints.models import Complaint, Unit

    company, _ = Unit.objects.get_or_create(
        code="BM", defaults={"name": "基准公司", "kind": "company"}
    )
    if not Unit.objects.filter(code="BM-0000").exists():
        Unit.objects.bulk_create(
            Unit(code=f"BM-{i:04d}", name=f"基准网点{i}", kind="branch", parent=company)
            for i in range(BRANCHES)
        )
    first_unit = Unit.objects.get(code="BM-0000").pk
    have = Complaint.objects.count()
    if have >= total:
        return
    indexes = [i for i in Complaint._meta.indexes if i.name in SEARCH_INDEXES]
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    statement = (
        INSERT.replace("%(openings)s", _array(OPENINGS))
        .replace("%(details)s", _array(DETAILS))
        .replace("%(demands)s", _array(DEMANDS))
        .replace("%(n_openings)s", str(len(OPENINGS)))
        .replace("%(n_details)s", str(len(DETAILS)))
        .replace("%(n_demands)s", str(len(DEMANDS)))
    )
    started = time.monotonic()
    for start in range(have + 1, total + 1, BATCH):
        stop = min(start + BATCH - 1, total)
        with connection.cursor() as cur:
            cur.execute(
                statement.format(
                    first_unit=first_unit, branches=BRANCHES, total=total, start=start, stop=stop
                )
            )
        print(f"inserted {stop:,} complaints", file=sys.stderr)
    print(f"bulk insert took {time.monotonic() - started:.0f} s", file=sys.stderr)
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.add_index(Complaint, index)
            print(f"built {index.name}", file=sys.stderr)
    print(f"search indexes took {time.monotonic() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE complaints_complaint")  # as autovacuum would, in time


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

    from complaints.models import Complaint, Role, StaffProfile, Unit
    from complaints.search import parse_terms, search

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    total = int(os.environ.get("BENCH_COMPLAINTS", "1000000"))
    call_command("migrate", verbosity=0)
    _load(total)

    User = get_user_model()
    users = {}
    for name, role, code in (
        ("bench_supervisor", Role.SUPERVISOR, "BM"),
        ("bench_branch", Role.BRANCH, "BM-0007"),
    ):
        user, _ = User.objects.get_or_create(username=name)
        unit = Unit.objects.get(code=code)
        StaffProfile.objects.get_or_create(user=user, defaults={"role": role, "unit": unit})
        users[name] = user

    print(f"database: {Complaint.objects.count():,} complaints")
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        visible = Complaint.objects.visible_to(user)
        # Terms taken from a complaint the user may see, so each finds something.
        sample = visible.order_by("-pk").first()
        terms = [
            ("4-digit partial phone", sample.phone[-4:]),
            ("two-word phrase", "破损 赔偿"),
            ("name", sample.complainant_name),
            ("6-char waybill part", sample.tracking_no[-6:]),
        ]
        for label, q in terms:
            matches = search(visible, parse_terms(q)).count()
            client.post("/search/", {"q": q}, headers={"HX-Request": "true"})  # warm up
            timings = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.post("/search/", {"q": q}, headers={"HX-Request": "true"})
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.status_code  # nosec B101  # benchmark check
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            rows = response.content.decode().count('class="search-row"')
            print(
                f"{who:16s} {label:22s} matches={matches:7,d} rows={rows:2d} "
                f"queries={len(queries)} p50={statistics.median(timings):6.1f} ms  "
                f"p95={p95:6.1f} ms  max={timings[-1]:6.1f} ms"
            )
            if os.environ.get("BENCH_EXPLAIN"):
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN ANALYZE " + queries.captured_queries[-1]["sql"])
                    print("\n".join(row[0] for row in cur.fetchall()))
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
