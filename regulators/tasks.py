"""Celery tasks of the regulators app: thin, idempotent, they call the sweep service."""

from celery import shared_task
from django.utils import timezone

from .sweeps import appeal_sweep_deadlines


@shared_task(name="regulators.tasks.sweep_appeal_deadlines")
def sweep_appeal_deadlines() -> int:
    """Remind about appeal deadlines due soon or overdue (each reminder exactly once)."""
    return appeal_sweep_deadlines(now=timezone.now())
