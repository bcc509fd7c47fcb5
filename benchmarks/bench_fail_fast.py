"""Benchmark: how fast the app gives up on a Redis that is down (`make bench-fail-fast`).

Two wall-clock figures that `make test` used to assert and now checks by counting instead
(tests/reliability/test_cache_unavailable.py: connection attempts and back-off waits), because
a time measured on a loaded machine passes or fails by the load:

- the cache during its cool-down after a failure: 100 reads must not touch Redis (< 0.5 s);
- publishing to a dead broker with BROKER_PUBLISH_FAIL_FAST: one try and one immediate retry
  (< 1.5 s, against Kombu's default of about 6 s of retries).

Both against a loopback port nobody listens on (refused at once). Prints each figure with its
threshold; exits 1 when one is over. Needs no database or Redis; not part of `make test`.
"""

from __future__ import annotations

import os
import socket
import sys
import time

RUNS = 5


def _dead_redis_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def cache_cooldown_seconds(url: str) -> float:
    from kernel import resilient_cache

    cache = resilient_cache.DegradingRedisCache(
        url, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )
    resilient_cache.state.down_until = 0.0
    cache.get("first")  # fails, and starts the cool-down
    started = time.monotonic()
    for _ in range(100):
        cache.get("again")
    return time.monotonic() - started


def broker_fail_fast_seconds(url: str) -> float:
    from django.conf import settings
    from kombu import Connection
    from kombu.exceptions import OperationalError

    connection = Connection(url, transport_options=settings.BROKER_PUBLISH_FAIL_FAST)
    started = time.monotonic()
    try:
        connection.default_channel  # noqa: B018 (connects)
    except OperationalError:
        pass
    finally:
        connection.release()
    return time.monotonic() - started


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused")  # never used
    import django

    django.setup()
    url = _dead_redis_url()
    failed = False
    for name, measure, threshold in (
        ("100 cache reads in the cool-down", cache_cooldown_seconds, 0.5),
        ("publish to a dead broker", broker_fail_fast_seconds, 1.5),
    ):
        times = sorted(measure(url) for _ in range(RUNS))
        worst = times[-1]
        verdict = "ok" if worst < threshold else "OVER"
        failed |= worst >= threshold
        print(
            f"{name:34} median {times[len(times) // 2]:.3f} s, worst {worst:.3f} s "
            f"of {RUNS} (threshold {threshold} s): {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
