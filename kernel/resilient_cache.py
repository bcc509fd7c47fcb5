"""A Redis cache that degrades to "nothing cached" while Redis is unreachable.

It holds only what can be lost, and a complaint must still be accepted with Redis down, so every
operation answers as an empty cache would (rate limits open for that minute); after a failure it
leaves Redis alone for COOLDOWN_SECONDS. See docs/reliability.md, finding 3.
"""

from __future__ import annotations

import logging
import threading
import time

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


def _missing(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found")


# What an empty cache answers, per operation, while Redis is down (same arguments as the call).
FALLBACKS = {
    "add": lambda *a, **k: True,  # the caller goes ahead
    "get": lambda key, default=None, *a, **k: default,
    "set": lambda *a, **k: None,
    "touch": lambda *a, **k: False,
    "delete": lambda *a, **k: False,
    "get_many": lambda *a, **k: {},
    "has_key": lambda *a, **k: False,
    "incr": _missing,
    "set_many": lambda data, *a, **k: list(data),  # every key "failed" to be stored
    "delete_many": lambda *a, **k: None,
    "clear": lambda *a, **k: False,
}


def _degrading(operation: str):
    def method(self, *args, **kwargs):
        return guarded(
            operation,
            lambda: getattr(super(DegradingRedisCache, self), operation)(*args, **kwargs),
            lambda: FALLBACKS[operation](*args, **kwargs),
        )

    method.__name__ = operation
    return method


class DegradingRedisCache(RedisCache):
    """Django's RedisCache whose every operation answers as an empty cache while Redis is down."""


for _operation in FALLBACKS:
    setattr(DegradingRedisCache, _operation, _degrading(_operation))
