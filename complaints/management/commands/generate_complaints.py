"""Generate many synthetic complaints fast (PostgreSQL COPY), for benchmarks and load tests.

    python manage.py generate_complaints --count 1000000 [--units 40] [--open-share 0.05]

About 95 % closed, the rest open at every stage, over the past year across `--units` units
(GEN-xx); no audit rows (the data loads the queues and lists). All of it is synthetic.
"""

from __future__ import annotations

import io
import random
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from complaints import numbering
from complaints.models import Category, Complaint, Party, Unit

BATCH = 50_000
COLUMNS = [
    "ticket_no",
    "status",
    "channel",
    "tracking_no",
    "complainant_name",
    "phone",
    "party",
    "category",
    "description",
    "demand",
    "demand_detail",
    "service",
    "insured",
    "unit_id",
    "priority",
    "urgent_reasons",
    "key_account",
    "urgent_contents",
    "is_escalated",
    "is_external",
    "chase_count",
    "repeat_count",
    "access_code_hash",
    "accepted_at",
    "dispatched_at",
    "first_response_at",
    "first_answered_at",
    "answered_at",
    "closed_at",
    "updated_at",
    "first_response_due",
    "resolution_due",
    "follow_up_due",
    "statutory_due",
    "next_deadline",
    "paused_seconds",
    "satisfied",
    "rating",
]
OPEN = ("accepted", "verifying", "answered", "follow_up")
CATEGORIES = list(Category.values)
PARTIES = list(Party.values)
NULL = "\\N"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _ts(value) -> str:
    return NULL if value is None else value.isoformat()


class Command(BaseCommand):
    help = "Generate N synthetic complaints quickly with COPY (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--units", type=int, default=40)
        parser.add_argument("--open-share", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *, count, units, open_share, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_complaints needs PostgreSQL (it uses COPY).")
        if count <= 0 or not 0 <= open_share <= 1:
            raise CommandError("--count must be positive and --open-share within 0..1.")
        rng = random.Random(seed)  # nosec B311  # reproducible synthetic benchmark rows
        unit_ids = self._units(units)
        now = timezone.now()
        # Spread over the past 365 days, oldest first; ticket numbers continue each day's counter.
        per_day = -(-count // 365)
        start_day = timezone.localtime(now).date() - timedelta(days=366)
        days = [start_day + timedelta(days=i) for i in range(-(-count // per_day))]
        last = {day: n for day, n in numbering.issued(days).items() if n}
        table = Complaint._meta.db_table
        made = 0
        with transaction.atomic(), connection.cursor() as cursor:
            while made < count:
                size = min(BATCH, count - made)
                buffer = io.StringIO()
                for i in range(made, made + size):
                    day = start_day + timedelta(days=i // per_day)
                    last[day] = last.get(day, 0) + 1
                    buffer.write(self._row(rng, i, day, last[day], unit_ids, open_share, now))
                buffer.seek(0)
                cursor.copy_expert(
                    f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT text)", buffer
                )
                made += size
                self.stdout.write(f"{made} / {count}")
            numbering.reserve(last)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        self.stdout.write(self.style.SUCCESS(f"generated {count} complaints"))

    def _units(self, n: int) -> list[int]:
        company = Unit.objects.filter(kind=Unit.Kind.COMPANY).first() or Unit.objects.create(
            code="GEN", name="生成数据公司", kind=Unit.Kind.COMPANY
        )
        for i in range(n):
            Unit.objects.get_or_create(
                code=f"GEN-{i:02d}",
                defaults={"name": f"生成网点{i:02d}", "kind": Unit.Kind.BRANCH, "parent": company},
            )
        return list(
            Unit.objects.filter(code__startswith="GEN-")
            .order_by("code")
            .values_list("pk", flat=True)
        )

    def _row(self, rng, i, day, number, unit_ids, open_share, now) -> str:
        local = datetime.combine(day, time(8), tzinfo=SHANGHAI)
        accepted = local + timedelta(seconds=rng.randrange(14 * 3600))
        is_open = rng.random() < open_share
        if is_open:
            # Open ones are recent: accepted within the last 3 days, deadlines ahead or just past.
            accepted = now - timedelta(seconds=rng.randrange(3 * 86400))
        status = rng.choice(OPEN) if is_open else "closed"
        urgent = rng.random() < 0.08
        first_due = accepted + timedelta(hours=2 if urgent else 24)
        resolution_due = accepted + timedelta(hours=12 if urgent else 72)
        statutory_due = accepted + timedelta(days=7)
        dispatched = accepted + timedelta(minutes=30) if status != "accepted" else None
        responded = (
            accepted + timedelta(hours=1) if status in ("answered", "follow_up", "closed") else None
        )
        answered = accepted + timedelta(hours=20) if responded else None
        follow_up_due = answered + timedelta(hours=24) if answered else None
        closed = answered + timedelta(hours=4) if status == "closed" else None
        running = []
        if is_open:
            if responded is None:
                running += [first_due, resolution_due, statutory_due]
            else:
                running.append(follow_up_due)
        next_deadline = min(running) if running else None
        fields = [
            f"TS{day:%Y%m%d}{number:06d}",
            status,
            rng.choice(("api", "phone", "web")),
            f"GN{i:012d}",
            f"测试客户{i % 1000}",
            f"199{i % 100_000_000:08d}",
            rng.choice(PARTIES),
            rng.choice(CATEGORIES),
            "生成的测试投诉：快件延误未送达。",
            "",
            "",
            "express",
            "f",
            str(rng.choice(unit_ids)) if unit_ids and status != "accepted" else NULL,
            "urgent" if urgent else "normal",
            "[]",
            "f",
            "f",
            "f",
            "f",
            "0",
            "0",
            secrets.token_hex(32),
            _ts(accepted),
            _ts(dispatched),
            _ts(responded),
            _ts(answered),
            _ts(answered),
            _ts(closed),
            _ts(closed or accepted),
            _ts(first_due),
            _ts(resolution_due),
            _ts(follow_up_due),
            _ts(statutory_due),
            _ts(next_deadline),
            "0",
            "t" if closed else NULL,
            NULL,
        ]
        return "\t".join(fields) + "\n"
