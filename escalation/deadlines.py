"""Deadlines of a complaint (SPEC §4), computed from its facts and stored on it.

`refresh_deadlines` is called by every service that changes something a timer depends on,
inside the same transaction, so the indexed columns are always true. The default targets below
are SPEC §4's; the SLA policies (targets as data per priority and channel) build on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.clock import WorkCalendar, day_period_end


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta
    follow_up: timedelta
    statutory_days: int = 7


# SPEC §4: normal 24 h / 72 h / follow-up 24 h; urgent and external 2 h / 12 h / 2 h (seed 001
# asks external complaints to be followed up within 2 h); statutory answer 7 days
# (快递暂行条例 art. 33 as summarised in SPEC §4).
NORMAL_TARGETS = Targets(timedelta(hours=24), timedelta(hours=72), timedelta(hours=24))
URGENT_TARGETS = Targets(timedelta(hours=2), timedelta(hours=12), timedelta(hours=2))


def targets_for(complaint) -> Targets:
    """Urgent and external complaints run on the urgent targets."""
    if complaint.priority == "urgent" or complaint.is_external:
        return URGENT_TARGETS
    return NORMAL_TARGETS


def work_calendar() -> WorkCalendar:
    """The official calendar plus the local exceptions supervisors entered."""
    return WorkCalendar()


def refresh_deadlines(complaint, *, now: datetime, calendar: WorkCalendar | None = None) -> None:
    """Set the due columns and next_deadline of a complaint in memory (the caller saves).

    Timers (SPEC §4): first response from acceptance until the first contact or reply;
    resolution from the start of the current round (acceptance, or the latest reopen) until the
    reply, pushed out by the time paused in this round and not running while paused; follow-up
    from the reply until the follow-up is recorded; statutory answer, 7 days from acceptance
    until the first reply. next_deadline is the nearest due of the timers still running, and
    None for a complaint that is no longer open.
    """
    targets = targets_for(complaint)
    calendar = calendar or work_calendar()
    accepted = complaint.accepted_at
    round_start = complaint.reopened_at or accepted

    complaint.first_response_due = accepted + targets.first_response
    complaint.resolution_due = (
        round_start + targets.resolution + timedelta(seconds=complaint.paused_seconds)
    )
    complaint.statutory_due = day_period_end(accepted, targets.statutory_days, calendar=calendar)
    complaint.follow_up_due = (
        complaint.answered_at + targets.follow_up if complaint.answered_at else None
    )

    running = []
    if complaint.is_open:
        if complaint.first_response_at is None:
            running.append(complaint.first_response_due)
        if complaint.answered_at is None and not complaint.is_paused:
            running.append(complaint.resolution_due)
        if complaint.first_answered_at is None:
            running.append(complaint.statutory_due)
        if complaint.status in ("answered", "follow_up") and complaint.follow_up_due:
            running.append(complaint.follow_up_due)
    complaint.next_deadline = min(running) if running else None
