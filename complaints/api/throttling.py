"""Rate limits of the public endpoints, counted in the Django cache (Redis in production).

Wrong access codes count against the address, which past the limit gets 429 for the rest of the
window even with a right code (SPEC §9). The limits: docs/api.md, "Limits".
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
from kernel.client_address import client_address

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

    def get_ident(self, request):
        return client_address(request)  # behind TRUSTED_PROXY_COUNT proxies


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
    """The counting script on the Redis behind Django's RedisCache, or None for other caches."""
    return _redis_script("_throttle_counter", _COUNT)


def _redis_script(name: str, source: str):
    """A Lua script registered on the Redis behind Django's RedisCache, or None for others.

    Kept on its connection pool: Django builds a new client object on every cache call, and
    building one (its table of reply handlers) cost more than the round trip itself.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    pool = backend._cache._get_connection_pool(write=True)
    script = getattr(pool, name, None)
    if script is None:
        client = backend._cache.get_client(None, write=True)
        script = client.register_script(source)
        setattr(pool, name, script)
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
    """At most `code_guess` lookups with a wrong code per address and fixed window (SPEC §9).

    Check and count are one atomic step (issue 19 §9): `reserve` adds the attempt and refuses
    it past the limit in one Redis script, before the code is compared, so a burst of parallel
    guesses gets exactly `limit` comparisons, not one per request that read the count before
    the others wrote it. A lookup that finds its ticket gives its attempt back (`release`):
    only failures use up the budget. Past the limit the address gets 429 for the rest of the
    window, even with a right code, and the attempt is logged for the security team.
    """

    scope = "code_guess"

    def __init__(self, request):
        self.request = request
        self.ident = _ident(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.limit, self.window = SimpleRateThrottle.parse_rate(None, rate)
        self.window_start = int(time.time()) // self.window * self.window
        self.key = f"throttle_{self.scope}_{self.ident}_{self.window_start}"
        self.reserved = False

    def reserve(self) -> None:
        """Count this lookup as a guess, or refuse it (429) when the window's guesses are used."""
        attempts = resilient_cache.guarded(
            "throttle",
            lambda: _attempt(self.key, self.limit, self.window + 1),
            lambda: 0,  # Redis down: the limit opens, as every throttle's (resilient_cache)
        )
        if attempts > self.limit:
            logger.warning(
                "access-code guessing blocked: address=%s failures=%s path=%s",
                self.ident,
                self.limit,
                self.request.path,
            )
            raise Throttled(wait=max(self.window_start + self.window - time.time(), 1))
        self.reserved = attempts > 0

    def release(self) -> None:
        """The code was right: give the attempt back."""
        if self.reserved:
            resilient_cache.guarded("throttle", lambda: _uncount(self.key), lambda: None)
            self.reserved = False

    def record_failure(self, ticket_no: str) -> None:
        """Log a wrong code (it was counted by `reserve`)."""
        failures = resilient_cache.guarded("throttle", lambda: cache.get(self.key, 0), lambda: 0)
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


# Check and count in one step: add the attempt, and take it back again when it is over the
# limit, so the stored count never passes the limit and a refused attempt costs nothing.
_ATTEMPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then redis.call('DECR', KEYS[1]) end
return n
"""


def _attempt(key: str, limit: int, expiry: int) -> int:
    """Add one attempt under `key` unless `limit` are counted; return the count it reached."""
    script = _redis_script("_access_code_attempt", _ATTEMPT)
    if script is not None:
        return int(script(keys=[cache.make_key(key)], args=[limit, expiry]))
    # Another cache (local memory in development): its incr holds a lock, so this is atomic
    # within the one process such a cache serves.
    count = _count(key, expiry - 1)
    if count > limit:
        _uncount(key)
    return count


def _ident(request) -> str:
    # The client behind TRUSTED_PROXY_COUNT proxies, as every per-address limit reads it.
    return client_address(request)
