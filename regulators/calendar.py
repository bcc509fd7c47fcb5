"""The working-day calendar appeal deadlines are counted on."""

from __future__ import annotations

from escalation.clock import WorkCalendar


def work_calendar() -> WorkCalendar:
    """Return the official calendar plus the local exceptions supervisors entered.

    The exceptions live in the SLA engine's tables (escalation.policies.load_calendar); on a
    tree without that engine the official calendar alone is used.
    """
    try:
        from escalation.policies import load_calendar
    except ImportError:
        return WorkCalendar()
    return load_calendar()
