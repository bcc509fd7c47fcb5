"""The SLA view of one complaint for the pages: its nearest running timer and its colour.

Registered as complaints.hooks.nearest_clock. The colour is the sweep's own: the complaint's
policy (warning share, clock type) through escalation.schedule.timer_level, so a row turns
amber exactly when the warning notice is due. No queries: the policies come with `reference`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.web.clock_display import TIMER_LABELS, Clock
from escalation.schedule import Policy, Timer, TimerName, timer_level
from kernel import refdata
from kernel.clock import ClockType, share_used


def _amount(policy: Policy, timer: str) -> timedelta:
    if timer == "statutory":
        return timedelta(days=policy.statutory_days)
    return getattr(policy, timer)


def nearest_clock(complaint, *, now: datetime, reference=None) -> Clock | None:
    """Return which timer next_deadline belongs to, how far it has run and its colour, or None.

    Green until the timer's warning point, amber from it, red from the deadline.
    """
    due = complaint.next_deadline
    if due is None or not complaint.is_open:
        return None
    book = (reference or refdata.current())["sla"]
    round_start = complaint.reopened_at or complaint.accepted_at
    candidates = [
        ("first_response", complaint.first_response_due, round_start),
        ("resolution", complaint.resolution_due, round_start),
        ("statutory", complaint.statutory_due, round_start),
        ("follow_up", complaint.follow_up_due, complaint.answered_at),
    ]
    timer, start = "resolution", round_start
    for name, candidate_due, candidate_start in candidates:
        if candidate_due == due and candidate_start is not None:
            timer, start = name, candidate_start
            break
    policy = book.policy_of(complaint)
    earlier = book.policy_before_urgent(complaint)
    if earlier is not None and timer != "statutory" and start < complaint.urgent_since:
        # Became urgent later (issue 18): the due is either the urgent target counted from
        # then, or the earlier normal one that stayed in force.
        paused = timedelta(seconds=complaint.paused_seconds if timer == "resolution" else 0)
        urgent_due = complaint.urgent_since + _amount(policy, timer) + paused
        normal_due = start + _amount(earlier, timer) + paused
        if abs(due - urgent_due) <= abs(due - normal_due):
            start = complaint.urgent_since
        else:
            policy = earlier
    running = Timer(TimerName(timer), start, due, _amount(policy, timer), True)
    level = timer_level(running, policy, book.calendar, now=now)
    if policy.clock_type == ClockType.CALENDAR_HOURS or timer == "statutory":
        total = (due - start).total_seconds()
        share = (now - start).total_seconds() / total if total > 0 else float(now >= due)
    else:
        share = share_used(
            start,
            due,
            now,
            policy.clock_type,
            calendar=book.calendar,
            hours_by_weekday=policy.hours_by_weekday,
            closed_on_rest_days=policy.closed_on_rest_days,
        )
    return Clock(timer, str(TIMER_LABELS[timer]), start, due, share, level)
