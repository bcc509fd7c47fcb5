"""A Redis cache that degrades to "nothing cached" while Redis is unreachable.

The cache holds only what can be lost: throttle counters, the outbox kick's once-a-second
marker, the policy book's version. When Redis is down (a restart, a failover, a full disk) a
complaint must still be accepted — SPEC: nothing a client sends may cause a 500 — so every
operation answers as an empty cache would: reads miss, writes are dropped, `add` succeeds
(the caller goes ahead), `incr` says the key is missing. Rate limits therefore stop counting
during the outage (they open rather than refuse every customer); the access codes stay long and
random, so guessing stays hopeless for that minute.

After a failure the backend does not touch Redis for `COOLDOWN_SECONDS`: with Redis hung (not
refusing), each call would otherwise wait for the socket timeout, several times per request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("complaints.cache")

CACHE_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)
COOLDOWN_SECONDS = 2.0
LOG_EVERY_SECONDS = 10.0


class CacheState:
    """Per process: until when Redis is taken to be down, and when we last said so."""

    def __init__(self):
        self.down_until = 0.0
        self.logged_at = float("-inf")
        self.lock = threading.Lock()

    def available(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, operation: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            self.down_until = now + COOLDOWN_SECONDS
            if now - self.logged_at >= LOG_EVERY_SECONDS:
                self.logged_at = now
                log.warning("cache unavailable (%s: %s); serving without it", operation, exc)


state = CacheState()


def guarded(operation: str, call, fallback):
    """Run `call()` against Redis; on a connection failure return `fallback()` instead."""
    if not state.available():
        return fallback()
    try:
        return call()
    except CACHE_DOWN_ERRORS as exc:
        state.failed(operation, exc)
        return fallback()


def _missing(key):
    def fallback():
        raise ValueError(f"Key '{key}' not found")

    return fallback


class DegradingRedisCache(RedisCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return guarded(
            "add",
            lambda: super(DegradingRedisCache, self).add(key, value, timeout, version),
            lambda: True,
        )

    def get(self, key, default=None, version=None):
        return guarded(
            "get",
            lambda: super(DegradingRedisCache, self).get(key, default, version),
            lambda: default,
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return guarded(
            "set",
            lambda: super(DegradingRedisCache, self).set(key, value, timeout, version),
            lambda: None,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return guarded(
            "touch",
            lambda: super(DegradingRedisCache, self).touch(key, timeout, version),
            lambda: False,
        )

    def delete(self, key, version=None):
        return guarded(
            "delete",
            lambda: super(DegradingRedisCache, self).delete(key, version),
            lambda: False,
        )

    def get_many(self, keys, version=None):
        return guarded(
            "get_many",
            lambda: super(DegradingRedisCache, self).get_many(keys, version),
            dict,
        )

    def has_key(self, key, version=None):
        return guarded(
            "has_key",
            lambda: super(DegradingRedisCache, self).has_key(key, version),
            lambda: False,
        )

    def incr(self, key, delta=1, version=None):
        return guarded(
            "incr",
            lambda: super(DegradingRedisCache, self).incr(key, delta, version),
            _missing(key),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return guarded(
            "set_many",
            lambda: super(DegradingRedisCache, self).set_many(data, timeout, version),
            lambda: list(data),
        )

    def delete_many(self, keys, version=None):
        return guarded(
            "delete_many",
            lambda: super(DegradingRedisCache, self).delete_many(keys, version),
            lambda: None,
        )

    def clear(self):
        return guarded("clear", lambda: super(DegradingRedisCache, self).clear(), lambda: False)
