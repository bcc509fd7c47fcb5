"""python manage.py generate_history --count 1000000: a large synthetic history, fast."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "生成大量合成历史投诉（两年、各单位各类别各状态，含超时事件与赔偿），并重建日汇总。"

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)

    def handle(self, *args, count: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_history 需要 PostgreSQL（DATABASE_URL=postgres://…）。")
        if not 1 <= count <= 50_000_000:
            raise CommandError("--count 须在 1 到 50,000,000 之间。")
        from dashboard.history import generate_history

        started = time.monotonic()

        def progress(text: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {text}")
            self.stdout.flush()

        generate_history(count=count, progress=progress)
