"""Token authentication that reads the token, its user, staff profile and permissions at once.

One statement on a cache miss, none on a hit (Redis); every change that could alter the answer
evicts it (complaints.api.token_cache) and CACHE_SECONDS bounds changes made without signals.
See docs/api.md, "Who calls it" and "Submissions with a token (issue 25)".
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db.models import CharField, OuterRef, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from kernel import resilient_cache

# Short on purpose: it only bounds changes that no signal announced (see the module docstring).
CACHE_SECONDS = 60
KEY_PREFIX = "api-token:"


def cache_key(token_key: str) -> str:
    """The cache key of a token: a digest, so that a cache listing shows no usable token."""
    return KEY_PREFIX + hashlib.sha256(token_key.encode()).hexdigest()[:40]


def shared_cache():
    """The default cache when every web process shares it (Redis), else None.

    A per-process cache (CACHE_URL=locmem://) could not be told about a change made in another
    process, so then nothing is cached and each request reads afresh.
    """
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _permission_names(**lookup):
    """The "app_label.codename" of the permissions matching `lookup`, as one SQL array."""
    names = (
        Permission.objects.filter(**lookup)
        .annotate(
            perm=Concat("content_type__app_label", Value("."), "codename", output_field=CharField())
        )
        .values("perm")
    )
    return ArraySubquery(names)


def load(token_key: str) -> Token | None:
    """Read the token with its user, staff profile and permissions in one statement.

    The permission sets are left where ModelBackend looks for them (the `_…_perm_cache`
    attributes), so user.has_perm() asks nothing more. Not the password hash: it has no use
    here and so stays out of the cache.
    """
    token = (
        Token.objects.select_related("user", "user__staff")
        .defer("user__password")
        .annotate(
            user_perm_names=_permission_names(user=OuterRef("user_id")),
            group_perm_names=_permission_names(group__user=OuterRef("user_id")),
        )
        .filter(key=token_key)
        .first()
    )
    if token is None:
        return None
    user = token.user
    user_perms = set(token.__dict__.pop("user_perm_names") or ())
    group_perms = set(token.__dict__.pop("group_perm_names") or ())
    # Superusers have every permission: ModelBackend lists them itself when asked.
    if user.is_active and not user.is_superuser:
        user._user_perm_cache = user_perms
        user._group_perm_cache = group_perms
        user._perm_cache = user_perms | group_perms
    return token


def cached(cache: RedisCache, name: str):
    """cache.get(name), on a Redis client kept with the cache's connection pool.

    Django's RedisCache builds a new client (and its table of reply handlers) on every call,
    which cost more CPU than the round trip itself (as complaints.api.throttling found).
    """

    def read():
        pool = cache._cache._get_connection_pool(write=False)
        client = getattr(pool, "_token_reader", None)
        if client is None:
            client = pool._token_reader = cache._cache.get_client(write=False)
        raw = client.get(cache.make_key(name))
        return None if raw is None else cache._cache._serializer.loads(raw)

    # Redis down: a miss, and the database answers (kernel.resilient_cache).
    return resilient_cache.guarded("get", read, lambda: None)


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, with the token's user read once and cached."""

    def authenticate_credentials(self, key):
        cache = shared_cache()
        name = cache_key(key)
        token = cached(cache, name) if cache is not None else None
        if token is None:
            token = load(key)
            if token is None:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            if cache is not None:  # Redis down: dropped, and the next request reads again
                cache.set(name, token, CACHE_SECONDS)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
