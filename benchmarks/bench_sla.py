"""Benchmark the SLA sweep on PostgreSQL: 1 million open complaints (`make bench-sla`).

1. 1 000 000 open complaints, 10 000 of them newly due → one sweep (target ≤ 5 s).
2. A backlog of 100 000 more due → sweep until done (target ≤ 30 s).
Prints rows/s and the query plans of the batch query (an index range scan, no seq scan).
Run by `make bench-sla` inside scripts/with-test-services.sh: it inserts a million rows, so it
refuses a database that already holds complaints. Figures: docs/integration-notes.md.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.bench_queue import _ensure_database


def _analyze(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
        cursor.execute("ANALYZE escalation_slaevent")


def _explain(now) -> None:
    from django.db import connection, transaction

    from complaints.models import Complaint

    # The batch query exactly as the sweep sends it.
    rows = (
        Complaint.objects.filter(sla_next_check__lte=now)
        .order_by("sla_next_check")
        .select_for_update(skip_locked=True, of=("self",))
        .only("id", "sla_next_check")[:1000]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = rows.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    print("批次查询计划：\n" + plan)
    if "Seq Scan on complaints_complaint" in plan:
        raise SystemExit("批次查询对工单表做了顺序扫描。")


def _report(label, result, expected, *, target) -> None:
    rate = result.complaints / result.seconds if result.seconds else 0
    verdict = "达标" if result.seconds <= target else "未达标"
    print(
        f"{label}：{result.complaints:,} 宗工单、{result.events:,} 个事件、"
        f"{result.notifications:,} 条通知，{result.batches} 批，{result.seconds:.2f} s，"
        f"{rate:,.0f} 宗/秒（目标 ≤ {target} s：{verdict}）"
    )
    if result.events != expected:
        raise SystemExit(f"应触发 {expected} 个事件，实际 {result.events}。")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="SLA 扫描基准测试：100万未办结工单（仅用于临时数据库）。"
    )
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument(
        "--workers", type=int, default=None, help="并行扫描线程数（默认 SLA_SWEEP_WORKERS）"
    )
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # As in production: the sweep's kicks go to Redis (the development broker is a directory).
    os.environ["CELERY_BROKER_URL"] = os.environ.get("REDIS_URL", "filesystem://")
    _ensure_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from benchmarks import sla_data
    from complaints.models import Complaint, Role, StaffProfile
    from escalation.models import SlaEvent
    from escalation.sweep import sla_conf, sla_sweep
    from kernel.models import Notification

    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor != "postgresql":
        raise SystemExit("基准测试需要 PostgreSQL（DATABASE_URL=postgres://…）。")
    if Complaint.objects.exists():
        raise SystemExit("数据库中已有工单：请在空的临时数据库上运行基准测试。")
    user = get_user_model().objects.create_user(username="bench_agent")
    StaffProfile.objects.create(user=user, role=Role.AGENT)
    now = timezone.now()
    workers = options.workers or sla_conf("SWEEP_WORKERS")
    print(f"扫描线程：{workers}，每批 {sla_conf('SWEEP_BATCH')} 宗")

    started = time.monotonic()
    sla_data.generate(count=options.open, due=options.due, now=now, owner_id=user.pk)
    _analyze(connection)
    took = time.monotonic() - started
    print(f"生成 {options.open:,} 宗未办结工单：{took:.1f} s（COPY + ANALYZE）")

    _explain(now)
    result = sla_sweep(now=now, time_budget=600, workers=options.workers)
    _report("一次扫描（新到期）", result, options.due, target=5)

    sla_data.generate(
        count=options.backlog, due=options.backlog, now=now, owner_id=user.pk, prefix="BKLG"
    )
    _analyze(connection)
    _explain(now)
    result = sla_sweep(now=now, time_budget=600, workers=options.workers)
    _report("积压扫描", result, options.backlog, target=30)
    print(
        f"合计：工单 {Complaint.objects.count():,}，时限事件 {SlaEvent.objects.count():,}，"
        f"通知 {Notification.objects.count():,}"
    )


if __name__ == "__main__":
    main()
