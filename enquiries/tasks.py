"""Celery tasks of the enquiries app: thin and idempotent (SKIP LOCKED claims)."""

from celery import shared_task
from django.utils import timezone

from .services import purge_keys, sweep_timeouts


@shared_task(name="enquiries.tasks.convert_timed_out")
def convert_timed_out() -> int:
    """Convert to complaints the enquiries still open past their resolve time; forget the
    expired Idempotency-Keys of enquiry submissions."""
    now = timezone.now()
    converted = sweep_timeouts(now=now)
    purge_keys(now=now)
    return converted
