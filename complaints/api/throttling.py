"""Rate limits of the public endpoints, counted in the Django cache (Redis in production).

- submission: per client address for anonymous callers, per token for partners;
- the customer's own ticket (read, evidence, chase, rating): per client address;
- access-code guessing: every lookup with a wrong code (or of a ticket that does not exist)
  counts against the address; past the limit the address gets 429 for the rest of the window,
  even with a right code, and the attempt is logged for the security team (SPEC §9).
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from kernel import resilient_cache

logger = logging.getLogger("complaints.api.security")


class _LiveRates:
    """Read the rate from the settings at request time (DRF binds them at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class CountingThrottle(SimpleRateThrottle):
    """A rate limit kept as one counter per fixed window, whatever the rate.

    DRF's SimpleRateThrottle stores every request's timestamp in one cache value and reads and
    rewrites the whole list on each request: O(limit) work and bytes per request (a partner's
    6000/min is a 6000-element list pickled twice per request), and two workers rewriting the
    list at once lose each other's requests. Here each window (aligned to the clock, like
    GitHub's API limits) has an atomic counter: one round trip to Redis per request, and
    Retry-After is the end of the window. A refused request is not counted, as in DRF.
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        counter = f"{self.key}:{window}"
        # Redis down: the limit opens (counts 0) instead of refusing everyone with a 500
        # (kernel.resilient_cache explains the trade-off).
        count = resilient_cache.guarded(
            "throttle", lambda: _count(counter, self.duration), lambda: 0
        )
        if count <= self.num_requests:
            return True
        _uncount(counter)
        return False

    def wait(self):
        return max(self.window_end - self.now, 1)


def _count(key: str, duration: int) -> int:
    """Add one to the window's counter and return it."""
    script = _redis_counter()
    if script is not None:
        return int(script(keys=[cache.make_key(key)], args=[duration + 1]))
    if cache.add(key, 1, timeout=duration + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=duration + 1)
        return 1


def _uncount(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended in between
        cache.decr(key)


# One round trip, atomic: count, and give a new window's counter its expiry.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _redis_counter():
    """The counting script on the Redis behind Django's RedisCache, or None for other caches.

    Kept on its connection pool: Django builds a new client object on every cache call, and
    building one (its table of reply handlers) cost more than the round trip itself.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    pool = backend._cache._get_connection_pool(write=True)
    script = getattr(pool, "_throttle_counter", None)
    if script is None:
        client = backend._cache.get_client(None, write=True)
        script = pool._throttle_counter = client.register_script(_COUNT)
    return script


class AnonymousSubmitThrottle(_LiveRates, CountingThrottle):
    """Anonymous submissions per client address."""

    scope = "submit"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PartnerThrottle(_LiveRates, CountingThrottle):
    """Requests of a token holder (partners integrate in bulk: a higher, separate budget)."""

    scope = "partner"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class CustomerThrottle(_LiveRates, CountingThrottle):
    """Reads and actions of customers on their own ticket, per client address."""

    scope = "customer"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccessCodeGuard:
    """Count failed access-code lookups per address in a fixed window; refuse past the limit.

    A fixed window with an atomic cache increment: every worker shares the count in Redis, and
    the counter expires by itself.
    """

    scope = "code_guess"

    def __init__(self, request):
        self.request = request
        self.ident = _ident(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.limit, self.window = SimpleRateThrottle.parse_rate(None, rate)

    def _key(self) -> tuple[str, int]:
        window_start = int(time.time()) // self.window * self.window
        return f"throttle_{self.scope}_{self.ident}_{window_start}", window_start

    def check(self) -> None:
        key, window_start = self._key()
        failures = cache.get(key, 0)
        if failures >= self.limit:
            wait = window_start + self.window - time.time()
            logger.warning(
                "access-code guessing blocked: address=%s failures=%s path=%s",
                self.ident,
                failures,
                self.request.path,
            )
            raise Throttled(wait=max(wait, 1))

    def record_failure(self, ticket_no: str) -> None:
        key, _ = self._key()
        if cache.add(key, 1, timeout=self.window + 1):
            failures = 1
        else:
            try:
                failures = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=self.window + 1)
                failures = 1
        logger.info(
            "access-code lookup failed: address=%s ticket=%s failures=%s",
            self.ident,
            ticket_no[:24],
            failures,
        )
        if failures == self.limit:
            logger.warning(
                "access-code guessing suspected: address=%s reached %s failures",
                self.ident,
                failures,
            )


def _ident(request) -> str:
    # The same address DRF's throttles use (honours REST_FRAMEWORK["NUM_PROXIES"]).
    throttle = SimpleRateThrottle.__new__(SimpleRateThrottle)
    return throttle.get_ident(request)
