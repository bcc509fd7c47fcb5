"""Celery tasks: thin, idempotent wrappers around the sweep and the recompute.

A sweep stops starting batches after its time budget (45 s); the time limits are a backstop.
All three are safe to run twice or at once (the database claims decide), so they acknowledge
late: a message whose worker died is delivered again instead of being lost.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def sla_sweep() -> dict:
    """Fire the due SLA events (beat: every minute)."""
    from escalation.records import records_sweep
    from escalation.sweep import sla_sweep as sweep

    now = timezone.now()
    result = sweep(now=now)
    records = records_sweep(now=now)
    return {"complaints": result.complaints, "events": result.events, "records": records.events}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def recompute_deadlines() -> int:
    """Recompute open complaints after a policy or the calendar changed (bulk batches)."""
    from escalation.records import records_recompute
    from escalation.sla_deadlines import complaints_recompute

    now = timezone.now()
    return complaints_recompute(now=now) + records_recompute(now=now)
