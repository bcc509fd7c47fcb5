"""Celery beat tasks: keep the rollup fresh, and e-mail the monthly report to supervisors."""

from __future__ import annotations

from celery import shared_task

from . import monthly, rollup


@shared_task(name="dashboard.tasks.refresh_rollup")
def refresh_rollup() -> int:
    """Recompute the days marked dirty since the last run (idempotent, safe with two workers)."""
    return rollup.rollup_refresh()


@shared_task(name="dashboard.tasks.send_monthly_report")
def send_monthly_report() -> int:
    """E-mail last month's company report to every active supervisor with an address."""
    return monthly.monthly_report_send()
