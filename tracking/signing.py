"""The push's signature: HMAC-SHA256 over "<timestamp>.<raw body>", fresh within a window.

Pure Python. The timestamp is inside the signed text, so a captured request cannot be replayed
with a new timestamp; one replayed as it was is refused once it is older than the window
(5 minutes by default), and inside the window it stores nothing new (events are idempotent).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

PREFIX = "sha256="

# Why a push is refused (the API says it in Chinese).
MISSING = "missing"
MALFORMED_TIMESTAMP = "malformed_timestamp"
STALE = "stale"
BAD_SIGNATURE = "bad_signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-TMS-Signature header for this body sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return PREFIX + digest.hexdigest()


def refusal(
    *,
    secrets: Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    max_skew: float,
) -> str | None:
    """None when the push is signed by one of `secrets` within `max_skew` seconds of `now`, else
    why not. Several secrets let a TMS move to a new one without a gap."""
    if not timestamp or not signature:
        return MISSING
    try:
        sent = int(timestamp)
    except ValueError:
        return MALFORMED_TIMESTAMP
    if abs(now - sent) > max_skew:
        return STALE
    for secret in secrets:
        if secret and hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
            return None
    return BAD_SIGNATURE
