"""The working-day calendar appeal deadlines are counted on."""

from __future__ import annotations

from kernel import refdata
from kernel.clock import WorkCalendar


def work_calendar() -> WorkCalendar:
    """Return the official calendar plus the local exceptions supervisors entered (SLA admin)."""
    return refdata.current()["calendar"]
