"""Celery beat task of the REST API: forget old Idempotency-Key rows."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="complaints.api.tasks.purge_idempotency_keys",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
)
def purge_idempotency_keys() -> int:
    """Delete keys past their retention (beat: hourly); idempotent, safe to run twice at once."""
    from .idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
