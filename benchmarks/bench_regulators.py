"""Benchmark of the regulator statistics, the deadline sweep and the appeals list.

Run with `make bench-regulators` (throwaway PostgreSQL; never part of `make test`). Sizes come
from BENCH_COMPLAINTS (default 100 000 complaints over 12 months) and BENCH_APPEALS (10 000).
Prints timings (best of 3) and the sweep's query plan, so index use can be checked.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Category, Complaint, Unit
from kernel.clock import SHANGHAI
from regulators.appeal_deadlines import DeadlineKind, ReminderStage
from regulators.models import Appeal, AppealReminder, Province
from regulators.statistics import monthly_statistics
from regulators.sweeps import _candidates, appeal_sweep_deadlines

COMPLAINTS = int(os.environ.get("BENCH_COMPLAINTS", "100000"))
APPEALS = int(os.environ.get("BENCH_APPEALS", "10000"))
START = __import__("datetime").datetime(2025, 12, 1, tzinfo=SHANGHAI)
BATCH = 5000


def best_of(fn, runs=3):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - started)
    return min(timings), result


@pytest.fixture
def data(django_db_blocker):
    rng = random.Random(7)
    company = Unit.objects.create(code="C", name="基准公司", kind="company")
    units = [
        Unit.objects.create(code=f"B{i:03d}", name=f"网点{i:03d}", kind="branch", parent=company)
        for i in range(50)
    ]
    user = get_user_model().objects.create_user(username="bench")
    categories = Category.values
    statuses = ["accepted", "verifying", "answered", "follow_up", "closed", "rejected"]
    batch = []
    for i in range(COMPLAINTS):
        accepted = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        answered = accepted + timedelta(hours=rng.randrange(1, 240))
        batch.append(
            Complaint(
                ticket_no=f"TS{i:014d}",
                status=rng.choice(statuses),
                channel="phone",
                tracking_no=f"SF{i:010d}",
                complainant_name="基准客户",
                phone=f"138{i:08d}"[:11],
                party="sender",
                category=rng.choice(categories),
                description="基准数据",
                access_code_hash="x" * 64,
                unit=rng.choice(units),
                accepted_at=accepted,
                first_response_due=accepted + timedelta(hours=24),
                first_response_at=accepted + timedelta(hours=rng.randrange(1, 48)),
                statutory_due=accepted + timedelta(days=7),
                first_answered_at=answered,
                answered_at=answered,
                justified=rng.random() < 0.3,
                satisfied=rng.random() < 0.8,
            )
        )
        if len(batch) == BATCH:
            Complaint.objects.bulk_create(batch)
            batch = []
    Complaint.objects.bulk_create(batch)
    ids = list(Complaint.objects.values_list("pk", flat=True)[:APPEALS])
    appeals = []
    for n, pk in enumerate(ids):
        received = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        state = rng.choice(["received", "investigating", "reported", "mediation", "closed"])
        due = received + timedelta(days=10)
        appeals.append(
            Appeal(
                case_no=f"SG{n:010d}",
                state=state,
                province=rng.choice(Province.values),
                received_at=received,
                complaint_id=pk,
                appellant_name="基准客户",
                appellant_phone="13800000000",
                facts="基准",
                request="基准",
                report_days=10,
                company_report_due=due,
                regulator_reply_due=received + timedelta(days=30),
                mediation_feedback_due=received + timedelta(days=14)
                if state == "mediation"
                else None,
                report_sent_at=received + timedelta(days=rng.randrange(1, 14))
                if state in ("reported", "mediation", "closed")
                else None,
                registered_by=user,
                created_at=received,
            )
        )
    for i in range(0, len(appeals), BATCH):
        Appeal.objects.bulk_create(appeals[i : i + BATCH])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@pytest.mark.django_db
def test_bench_regulators(data, capsys):
    lines = [f"data: {COMPLAINTS} complaints, {APPEALS} appeals over 12 months"]

    seconds, stats = best_of(lambda: monthly_statistics(2026, 6))
    with CaptureQueriesContext(connection) as queries:
        monthly_statistics(2026, 6)
    summary = dict(stats.sections[0].rows)
    lines.append(
        f"monthly_statistics(2026-06): {seconds * 1000:.1f} ms, {len(queries)} queries, "
        f"{summary['投诉量']} complaints / {summary['申诉量']} appeals in the month"
    )

    now = START + timedelta(days=200)
    rows = _candidates(DeadlineKind.COMPANY_REPORT, ReminderStage.DUE_SOON, now=now, limit=200)
    sql, params = (
        Appeal.objects.filter(state__in=["received", "investigating"])
        .filter(company_report_due__gt=now, company_report_due__lte=now + timedelta(hours=48))
        .order_by("company_report_due")
        .values_list("pk")[:200]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = [r[0] for r in cursor.fetchall()]
    scans = [p.strip().lstrip("-> ") for p in plan if "Scan" in p]
    lines.append("sweep window query plan: " + " | ".join(scans))
    lines.append(f"due-soon candidates at {now:%Y-%m-%d}: {len(rows)}")

    started = time.perf_counter()
    sent = appeal_sweep_deadlines(now=now)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = appeal_sweep_deadlines(now=now)
    second = time.perf_counter() - started
    lines.append(
        f"first sweep at day 200: {sent} reminders in {first * 1000:.0f} ms "
        f"({first / max(sent, 1) * 1000:.2f} ms each); "
        f"repeat sweep: {again} in {second * 1000:.0f} ms"
    )
    assert again == 0 and AppealReminder.objects.count() == sent

    seconds, _count = best_of(
        lambda: len(list(Appeal.objects.overdue(now).order_by("-received_at")[:50]))
    )
    lines.append(f"overdue list page (50): {seconds * 1000:.1f} ms")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
