"""Benchmark: one bulk action on 50 complaints through the API (`make bench-bulk`).

Run by `make bench-bulk` inside scripts/with-test-services.sh (a throwaway PostgreSQL). Makes
BENCH_BULK_RUNS batches of BENCH_BULK_SIZE accepted complaints through the intake service,
then times POST /api/v1/complaints/bulk/ in-process (Django's test client, an agent's token):
dispatch of each batch to a branch (a transition with deadlines, urgency and cluster checks
and its audit row, per complaint), then a note on each. Prints p50 / max per request and per
complaint in milliseconds, and the load average. Not part of `make test`.
"""

from __future__ import annotations

import os
import statistics
import time

from benchmarks.bench_queue import _ensure_database

SIZE = int(os.environ.get("BENCH_BULK_SIZE", "50"))
RUNS = int(os.environ.get("BENCH_BULK_RUNS", "5"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    _ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from complaints import services
    from complaints.models import Role, StaffProfile, Unit

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    company, _ = Unit.objects.get_or_create(
        code="BB", defaults={"name": "批量基准公司", "kind": "company"}
    )
    branch, _ = Unit.objects.get_or_create(
        code="BB-0001", defaults={"name": "批量基准网点", "kind": "branch", "parent": company}
    )
    agent, _ = get_user_model().objects.get_or_create(username="bench_bulk_agent")
    StaffProfile.objects.get_or_create(user=agent, defaults={"role": Role.AGENT})
    token, _ = Token.objects.get_or_create(user=agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    categories = ("delay", "loss", "damage", "short", "misdelivery", "attitude", "fee", "other")
    timings: dict[str, list[float]] = {"dispatch": [], "note": []}
    stamp = int(time.time())
    for run in range(RUNS + 1):  # the first run warms up and is not counted
        tickets = []
        for i in range(SIZE):
            complaint, _code = services.complaint_create(
                data=services.NewComplaint(
                    tracking_no=f"BB{stamp % 10**6:06d}{run:02d}{i:04d}",
                    complainant_name="基准客户",
                    phone=f"137{(stamp + run * SIZE + i) % 10**8:08d}",
                    party="recipient",
                    category=categories[i % len(categories)],
                    description="批量基准测试投诉内容",
                    channel="phone",
                ),
                by=agent,
            )
            tickets.append(complaint.ticket_no)
        for action, extra in (("dispatch", {"unit": branch.code}), ("note", {"text": "批量备注"})):
            started = time.perf_counter()
            response = client.post(
                "/api/v1/complaints/bulk/",
                {"action": action, "tickets": tickets, **extra},
                format="json",
            )
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            assert response.status_code == 200 and body["done"] == SIZE, body  # nosec B101  # benchmark check
            if run:
                timings[action].append(elapsed)
    load = os.getloadavg()
    for action, values in timings.items():
        values.sort()
        p50 = statistics.median(values)
        print(
            f"bulk {action:8s} {SIZE} complaints × {RUNS}: p50={p50:7.1f} ms  "
            f"max={values[-1]:7.1f} ms  ({p50 / SIZE:.1f} ms per complaint)"
        )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
