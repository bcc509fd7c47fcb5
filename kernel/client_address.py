"""The address of the client behind the configured number of trusted proxies (issue 19 §11).

Every per-address limit reads it here. With N proxies the client is the Nth X-Forwarded-For
entry from the right; whatever a client wrote there itself stands further left and is never read.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(text: str) -> str:
    """The address in canonical form, or "" when `text` is not an IP address."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_address(request) -> str:
    """Return the client's IP address as seen by the first trusted proxy (or the socket)."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # nosec B104  # a key only
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if not forwarded:
        return remote  # reached us without passing the proxy (a health check on the host)
    # Fewer hops than proxies: the first hop is as far as anyone trusted has seen.
    return _address(forwarded[-min(proxies, len(forwarded))]) or remote
