"""Celery tasks of the journey: thin and idempotent (the database claims decide who does what)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def pull_due() -> dict:
    """Pull the waybills owed a pull (kicked after commits; beat: every minute as catch-up)."""
    from .pull import run_due

    return run_due()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def sweep_stuck() -> int:
    """Check the open complaints whose parcel has gone quiet (滞留 needs no new scan to appear)."""
    from .sweep import sweep_stuck as sweep

    return sweep()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def maintain_partitions() -> dict:
    """Create the scans' coming monthly partitions; drop those past the retention."""
    from .partitions import maintain

    return maintain()
