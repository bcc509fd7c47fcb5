"""Idempotent submission: the same Idempotency-Key and body give the same complaint.

The key row is inserted in the complaint's transaction: of two racing requests the second waits
on the unique index and answers with the winner's complaint; a failed first one rolls its key
back. Retention and the hourly purge: docs/api.md, "Idempotency keys".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.errors import DomainError, InvalidInput

from .models import IdempotencyKey

MAX_KEY_LENGTH = 100
# A purge stops starting batches after this long; the next beat run carries on.
PURGE_TIME_BUDGET_SECONDS = 60.0


class KeyReused(DomainError):
    """The key was used before with a different request body."""

    status_code = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Outcome:
    record: Any  # the complaint (or, for enquiries, the enquiry) the request created
    access_code: str
    replayed: bool


def clean_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = _("Idempotency-Key 须为1到%(max_length)s个可打印ASCII字符。") % {
            "max_length": MAX_KEY_LENGTH
        }
        raise InvalidInput(message, field_errors={"Idempotency-Key": message})
    return key


def client_identity(request, address: str) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{address}"[:80]


def request_hash(data) -> str:
    """A hash of the request's meaning: the same fields and values in any order or spacing."""
    if hasattr(data, "lists"):  # a form's QueryDict
        data = {key: values for key, values in data.lists()}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hash_key(client: str, key: str) -> str:
    return hashlib.sha256(f"{client}\0{key}".encode()).hexdigest()


def _keystream(client: str, key: str) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"idempotency-seal\0{client}\0{key}".encode(), "sha256"
    ).digest()


def seal(code: str, *, client: str, key: str) -> str:
    stream = _keystream(client, key)
    return bytes(a ^ b for a, b in zip(code.encode(), stream, strict=False)).hex()


def unseal(sealed: str, *, client: str, key: str) -> str:
    stream = _keystream(client, key)
    return bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), stream, strict=False)).decode()


def submit_once(
    *,
    client: str,
    key: str | None,
    body_hash: str,
    create: Callable[[], tuple[Any, str]],
    keys: type[models.Model] = IdempotencyKey,
    target: str = "complaint",
    reused_message: str | None = None,
    _retry: bool = True,
) -> Outcome:
    """Run `create()` (→ record, access code) at most once per client and key.

    `keys` is the model that keeps the keys, with a foreign key `target` to the record:
    complaints' IdempotencyKey by default, enquiries pass theirs (the same fields).
    """
    if key is None:
        record, code = create()
        return Outcome(record, code, replayed=False)
    key_hash = _hash_key(client, key)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = keys.objects.create(
                    client=client,
                    key_hash=key_hash,
                    request_hash=body_hash,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            row = None
        if row is not None:
            record, code = create()
            setattr(row, target, record)
            row.sealed_access_code = seal(code, client=client, key=key) if code else ""
            row.save(update_fields=[target, "sealed_access_code"])
            return Outcome(record, code, replayed=False)
    # The key was used before (or by the request we raced, which has committed by now).
    existing = keys.objects.select_related(target).filter(client=client, key_hash=key_hash).first()
    if existing is not None and existing.created_at < _retention_cutoff():
        # Expired, its row not purged yet: forget it here, and this request goes ahead as new.
        keys.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        existing = None
    if existing is None or getattr(existing, target) is None:
        if not _retry:
            raise IntegrityError("idempotency key row vanished twice")
        return submit_once(
            client=client,
            key=key,
            body_hash=body_hash,
            create=create,
            keys=keys,
            target=target,
            reused_message=reused_message,
            _retry=False,
        )
    if existing.request_hash != body_hash:
        raise KeyReused(
            reused_message or _("该 Idempotency-Key 已用于另一份不同内容的投诉，请换一个新的键。")
        )
    sealed = existing.sealed_access_code
    code = unseal(sealed, client=client, key=key) if sealed else ""
    return Outcome(getattr(existing, target), code, replayed=True)


def _retention_cutoff() -> datetime:
    """Keys created before this moment have expired (created exactly at it: still valid)."""
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS)


def idempotency_keys_purge(
    *,
    now: datetime | None = None,
    retention: timedelta | None = None,
    batch: int | None = None,
    time_budget: float = PURGE_TIME_BUDGET_SECONDS,
) -> int:
    """Delete the keys created before `now - retention`; return how many were deleted.

    Each batch is one short statement in its own transaction (autocommit), so submissions
    never wait long on the purge and a large backlog (the first run after an upgrade) is
    worked off over several runs within the time budget. A key deleted here stops
    protecting against retries: a retry after the retention creates a new complaint.
    """
    now = now or timezone.now()
    if retention is None:
        retention = timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS)
    batch = batch or settings.API_IDEMPOTENCY_PURGE_BATCH
    cutoff = now - retention
    deadline = time.monotonic() + time_budget
    deleted = 0
    while True:
        oldest = (
            IdempotencyKey.objects.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values("pk")[:batch]
        )
        # No cascades or signals on this model: one DELETE … WHERE id IN (SELECT … LIMIT n);
        # PostgreSQL walks the created_at index for the subquery (about 20 ms per batch of
        # 5000 on a million keys here; fetching the ids first and deleting by a list: ~120 ms).
        count, _per_model = IdempotencyKey.objects.filter(pk__in=oldest).delete()
        deleted += count
        if count < batch or time.monotonic() >= deadline:
            return deleted
