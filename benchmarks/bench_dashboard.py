"""make bench-dashboard: p95 of every dashboard JSON endpoint (warm) and the Excel export of a
month for the whole company, on BENCH_HISTORY synthetic complaints. Prints the query plans."""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from complaints.models import Role, StaffProfile, Unit
    from dashboard import kpis
    from dashboard.history import generate_history
    from dashboard.periods import Period
    from dashboard.rollup import day_rows, local_day, rollup_refresh

    call_command("migrate", verbosity=0)
    count = int(os.environ.get("BENCH_HISTORY", "1000000"))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint WHERE ticket_no LIKE 'HS%%'")
        have = cur.fetchone()[0]
    if have < count:
        t = time.monotonic()
        generate_history(count=count - have)
        print(f"generated {count - have:,} complaints in {time.monotonic() - t:.1f} s")
    user, _ = get_user_model().objects.get_or_create(username="bench_supervisor")
    StaffProfile.objects.get_or_create(
        user=user, defaults={"role": Role.SUPERVISOR, "unit": Unit.objects.get(code="HS")}
    )
    rollup_refresh()  # today's rows, as the beat task keeps them
    client = Client()
    client.force_login(user)
    region = Unit.objects.get(code="HS-R1").pk
    today = local_day(timezone.now())
    last_month = today.replace(day=1) - timedelta(days=1)
    month = f"{last_month:%Y-%m}"
    queries = {
        "30d company": "?period=30d",
        "today company": "?period=today",
        "month company": f"?period=month&month={month}",
        "2 years company": f"?period=custom&start={today.replace(year=today.year - 2)}&end={today}",
        "30d region": f"?period=30d&unit={region}",
        "30d delay": "?period=30d&category=delay",
    }
    endpoints = ("kpis", "trend", "categories", "ranking", "heatmap", "lists")
    runs = int(os.environ.get("BENCH_RUNS", "20"))
    print(f"\n{'endpoint':12} {'filters':18} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for label, q in queries.items():
        for name in endpoints:
            url = f"/dashboard/api/{name}.json{q}"
            for _ in range(2):
                if client.get(url).status_code != 200:
                    raise SystemExit(f"warm-up request failed: {url}")
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            worst = max(worst, p95)
            print(f"{name:12} {label:18} {statistics.median(times):8.1f} {p95:8.1f}")
    print(f"worst p95: {worst:.1f} ms (target ≤ 300 ms)")
    # The regulator's figures (issue 23): month, quarter, year, with volume for every month.
    from regulators.models import ParcelVolume

    first = today.replace(year=today.year - 2, month=1, day=1)
    while first <= today:
        ParcelVolume.objects.get_or_create(
            month=first, unit=None, province="", defaults={"parcels": 40_000_000, "source": "api"}
        )
        first = (first + timedelta(days=32)).replace(day=1)
    quarter = f"{last_month.year}-Q{(last_month.month - 1) // 3 + 1}"
    for label, key in (("month", month), ("quarter", quarter), ("year", str(last_month.year))):
        url = f"/regulators/indicators/?period={key}"
        client.get(url)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            if client.get(url).status_code != 200:
                raise SystemExit(f"request failed: {url}")
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{'监管指标':12} {label:18} {statistics.median(times):8.1f} {p95:8.1f}")
    t = time.perf_counter()
    resp = client.get(f"/dashboard/export.xlsx?period=month&month={month}")
    if resp.status_code != 200:
        raise SystemExit(f"Excel export failed: {resp.status_code}")
    print(f"Excel export, {month}, whole company: {time.perf_counter() - t:.2f} s "
          f"({len(resp.content):,} bytes; target ≤ 10 s)")  # fmt: skip

    # The plans: a month from the rollup, and the refresh's recompute of a whole day.
    period = Period("month", last_month.replace(day=1), last_month)
    src, params = kpis._source(period.first, period.last, today, kpis.Scope(unit_keys=None))
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT sum(received) FROM ({src}) s", params)  # nosec B608  # SQL from constant fragments; values are parameters
        print("\nplan: a month from the rollup\n" + "\n".join(r[0] for r in cur.fetchall()))
        sql, bounds = day_rows(today - timedelta(days=1))
        cur.execute(f"EXPLAIN (ANALYZE) SELECT sum(received) FROM ({sql}) s", bounds)  # nosec B608  # SQL from constant fragments; values are parameters
        print("\nplan: recompute of yesterday\n" + "\n".join(r[0] for r in cur.fetchall()))
        cur.execute("SELECT count(*) FROM complaints_dashboard_dailyrollup")
        print(f"\nrollup rows: {cur.fetchone()[0]:,}")


if __name__ == "__main__":
    main()
