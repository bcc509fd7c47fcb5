"""The soak: the whole stack under a fixed arrival rate for minutes (`make soak`).

SOAK_RATE submissions per second (default 400) for SOAK_MINUTES (default 10, at most 30), while
two staff clients list and act and the SLA sweep and the outbox run every few seconds.
Pass: zero 5xx; every acknowledged complaint stored exactly once (and the other consistency
checks of suite.py); the resident memory of the web server and of the Celery worker (each with its
children) grows by at most 10 % from the end of warm-up to the end of the run.
"""

from __future__ import annotations

import os
import time
from collections import Counter

from benchmarks.reliability import suite
from benchmarks.reliability.stack import Stack

RSS_GROWTH_LIMIT = 0.10
# How long the outbox may take to deliver what the run left queued.
DRAIN_LIMIT_S = int(os.environ.get("SOAK_DRAIN_SECONDS", "900"))


def run() -> dict:
    rate = float(os.environ.get("SOAK_RATE", "400"))
    minutes = min(float(os.environ.get("SOAK_MINUTES", "10")), 30.0)
    seconds = minutes * 60
    # Warm-up: caches, connection pools, imported code. Memory is measured from its end.
    warmup = min(60.0, seconds * 0.2)
    stack = Stack(
        web_workers=int(os.environ.get("SOAK_WEB_WORKERS", "2")),
        web_threads=int(os.environ.get("SOAK_WEB_THREADS", "2")),
        sweep_seconds=float(os.environ.get("SOAK_SWEEP_SECONDS", "10")),
    )
    report = suite.Report()
    result: dict = {"kind": "soak", "rate": rate, "minutes": minutes}
    try:
        stack.init_pg()
        stack.start_redis()
        stack.start_receiver()
        # First response due 6 minutes after acceptance: warnings and breaches fire during the
        # run, so the sweep has real work alongside the intake.
        tokens = suite.prepare(stack, first_response_hours=0.1)
        stack.start_web()
        if os.environ.get("SOAK_PROXY", "0") == "1":
            stack.start_proxy()
        stack.start_worker()
        stack.start_beat()
        log = stack.dir / "load.jsonl"
        run_id = f"SK{int(time.time()) % 100000}"
        stack.log(f"soak: {rate:g}/s for {minutes:g} min (run {run_id})")
        load = suite.run_load(
            stack,
            tokens,
            run=run_id,
            rate=rate,
            seconds=seconds,
            log=log,
            staff_rate=2,
            urgent_every=20,
        )
        began = time.monotonic()
        result["loadavg_start"] = stack.loadavg()
        samples = []
        rss_start = None
        while load.poll() is None:
            time.sleep(5)
            elapsed = time.monotonic() - began
            if rss_start is None and elapsed >= warmup:
                rss_start = stack.rss()
                stack.log(f"RSS after warm-up (KiB): {rss_start}")
            if int(elapsed) % 60 < 5:
                sample = stack.rss()
                samples.append({"t": round(elapsed), **sample})
                stack.log(f"t={elapsed:.0f}s RSS (KiB): {sample}")
            if elapsed > seconds + 120:
                load.kill()
        rss_end = stack.rss()
        result["top_statements"] = stack.top_statements()
        stack.log("database time by statement (pg_stat_statements):")
        for line in result["top_statements"]:
            stack.log(f"  {line}")
        result["loadavg_end"] = stack.loadavg()
        stack.log(f"RSS at the end (KiB): {rss_end}")
        records = suite.read_log(log)
        summary = suite.summarize(records, seconds)
        result.update(summary=summary, rss_start=rss_start, rss_end=rss_end, samples=samples)
        stack.log(f"summary: { {k: v for k, v in summary.items() if k != 'per_minute'} }")
        for row in summary["per_minute"]:
            stack.log(f"  minute {row}")
        bad = suite.server_errors(records, allow_503=False)
        report.check("zero 5xx", not bad, f"{sum(bad.values())} 5xx answers {dict(bad)}")
        # An open-loop client that times out or finds the connection refused or reset was not
        # served either: the rate did not hold.
        lost = Counter(
            f"{r['kind']} {r['status']}" for r in records if not isinstance(r["status"], int)
        )
        report.check(
            "every request answered (no timeout, refused or reset connection)",
            not lost,
            f"{sum(lost.values())} unanswered {dict(lost)}",
        )
        for name in ("web", "worker"):
            start, end = (rss_start or {}).get(name, 0), rss_end.get(name, 0)
            growth = (end - start) / start if start else 1.0
            report.check(
                f"RSS of {name} grows ≤ 10 %",
                growth <= RSS_GROWTH_LIMIT,
                f"{start / 1024:.0f} MiB → {end / 1024:.0f} MiB ({growth:+.1%})",
            )
        suite.wait_web_idle()
        backlog = suite.outbox_backlog()
        result["outbox_backlog_at_end"] = backlog
        stack.log(f"outbox backlog when the load stopped: {backlog} messages due")
        stack.log("waiting for the outbox and the sweep to catch up…")
        t0 = time.monotonic()
        drained, _ = suite.quiesce(stack, timeout=DRAIN_LIMIT_S)
        result["catch_up_s"] = round(time.monotonic() - t0)
        report.check(
            "outbox and sweep caught up",
            drained,
            f"{backlog} messages due when the load stopped, all sent {result['catch_up_s']} s "
            f"later (limit {DRAIN_LIMIT_S} s)",
        )
        suite.consistency(
            report, records, run_prefixes=[run_id], deliveries=stack.dir / "deliveries.jsonl"
        )
    finally:
        stack.stop_all()
    result["checks"] = [c.__dict__ for c in report.checks]
    result["ok"] = report.ok
    return result
