#!/usr/bin/env python3
"""Profile complaint submission end to end in one process (Django test client, real database).

    scripts/with-test-services.sh .venv/bin/python scripts/profile_submission.py \
        [--unit C] [--as partner|agent] [-n N]

Prints the SQL statements of one submission, the wall and CPU time per submission, and the
functions that take the most time (cProfile). Run it to see where a submission's time goes
before changing anything on the hot path.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "profile-only")
os.environ.setdefault("API_THROTTLE_SUBMIT", "1000000/min")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
if os.environ.get("REDIS_URL"):
    os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--unit", default="", help="submit to this unit code (created if missing)")
    parser.add_argument("-n", type=int, default=300, help="submissions to time")
    parser.add_argument(
        "--as",
        dest="role",
        choices=["anonymous", "partner", "agent"],
        default="anonymous",
        help="submit anonymously or with the token of a partner or an agent",
    )
    args = parser.parse_args()

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from complaints.models import Role, StaffProfile, Unit

    call_command("migrate", verbosity=0)
    if args.unit:
        Unit.objects.get_or_create(code=args.unit, defaults={"name": args.unit, "kind": "branch"})
    headers = {}
    if args.role != "anonymous":
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        user, _ = get_user_model().objects.get_or_create(username=f"profile-{args.role}")
        StaffProfile.objects.get_or_create(user=user, defaults={"role": Role(args.role)})
        headers["HTTP_AUTHORIZATION"] = f"Token {Token.objects.get_or_create(user=user)[0].key}"
    client = Client(**headers)
    run = int(time.time())

    def body(i: int) -> str:
        fields = {
            "tracking_no": f"PF{run}{i:07d}",
            "complainant_name": "压测客户",
            "phone": f"198{(run + i) % 100_000_000:08d}",
            "party": "recipient",
            "category": ["delay", "loss", "damage", "attitude"][i % 4],
            "description": "压测：快件超时未送达，物流信息两天未更新。",
            "demand": "redelivery",
        }
        if args.unit:
            fields["unit"] = args.unit
        return json.dumps(fields, ensure_ascii=False)

    def post(i: int):
        response = client.post("/api/v1/complaints/", body(i), content_type="application/json")
        assert response.status_code == 201, (response.status_code, response.content)
        return response

    for i in range(20):  # warm-up: imports, caches, the day's ticket sequence
        post(i)
    with CaptureQueriesContext(connection) as queries:
        post(100)
    print(f"SQL statements of one submission: {len(queries.captured_queries)}")
    for query in queries.captured_queries:
        print(f"  {query['sql'][:150]}")

    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.n):
        post(1000 + i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{args.n} submissions: {wall / args.n * 1000:.2f} ms wall, "
        f"{cpu / args.n * 1000:.2f} ms CPU of this process each (PostgreSQL's CPU not included)"
    )
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.n):
        post(100_000 + i)
    profile.disable()
    out = io.StringIO()
    order = os.environ.get("PROFILE_SORT", "cumulative")  # or "tottime": where the CPU goes
    pstats.Stats(profile, stream=out).sort_stats(order).print_stats(45)
    if os.environ.get("PROFILE_CALLERS"):  # who calls a function, e.g. PROFILE_CALLERS=get_client
        pstats.Stats(profile, stream=out).print_callers(os.environ["PROFILE_CALLERS"])
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
