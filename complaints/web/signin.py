"""The sign-in lock-out: per username across addresses, per address across usernames.

One limit cannot fit both: a username is one person, an address may be a whole branch behind its
router. `failure_limit` answers axes' AXES_FAILURE_LIMIT with the limit of whichever count
reached its own (issue 19 §11; docs/security.md).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from kernel.client_address import client_address


def _failures(request, **match) -> int:
    """Failures matching `match` within the cool-off, as axes counts them."""
    attempts = AccessAttempt.objects.filter(**match)
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def failure_limit(request, credentials) -> int:
    """The failure count at which axes locks this request out.

    axes locks when the larger of the per-username and the per-address counts reaches the
    limit; the answer is the limit of whichever count has reached its own, else one above the
    larger count (not locked).
    """
    per_username = settings.LOGIN_USERNAME_FAILURE_LIMIT
    per_address = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    by_username = _failures(request, username=username) if username else 0
    by_address = _failures(request, ip_address=address)
    if by_username >= per_username:
        return per_username
    if by_address >= per_address:
        return per_address
    return max(by_username, by_address) + 1
