"""Celery tasks of the kernel: deliver the outbox (thin, idempotent, acknowledged late)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def deliver_outbox() -> dict:
    """Deliver due outbox messages (kicked after commits; beat: every minute as catch-up)."""
    from kernel.outbox.delivery import outbox_deliver_due

    return outbox_deliver_due(limit=settings.OUTBOX["DELIVERY_BATCH"])
