"""Deadlines of a complaint (SPEC §4), computed from its facts and its SLA policy.

`refresh_deadlines` is called by every service that changes something a timer depends on,
inside the same transaction, so the indexed columns are always true. `complaints_recompute`
does the same for many complaints at once, in bulk batches, after a policy or the calendar
changed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from escalation.schedule import (
    ComplaintFacts,
    Policy,
    compute_deadlines,
    next_check,
    scheduled_events,
)
from escalation.sla_policies import PolicyBook
from kernel.clock import ClockType, WorkCalendar

DEADLINE_FIELDS = (
    "first_response_due",
    "resolution_due",
    "follow_up_due",
    "statutory_due",
    "next_deadline",
    "sla_next_check",
)


def facts_of(complaint, pauses=()) -> ComplaintFacts:
    return ComplaintFacts(
        accepted_at=complaint.accepted_at,
        is_open=complaint.is_open,
        status=complaint.status,
        reopened_at=complaint.reopened_at,
        first_response_at=complaint.first_response_at,
        first_answered_at=complaint.first_answered_at,
        answered_at=complaint.answered_at,
        paused_at=complaint.paused_at,
        paused_seconds=complaint.paused_seconds,
        pauses=tuple(pauses),
        urgent_since=complaint.urgent_since,
    )


def _round_pauses(complaint) -> list[tuple[datetime, datetime | None]]:
    """Pause intervals of the current round (only non-calendar clocks need them)."""
    if not complaint.pk or (not complaint.paused_seconds and not complaint.paused_at):
        return []
    from complaints.models import PauseInterval

    rows = PauseInterval.objects.filter(complaint_id=complaint.pk)
    if complaint.reopened_at:
        rows = rows.filter(started_at__gte=complaint.reopened_at)
    return list(rows.values_list("started_at", "ended_at"))


def apply_policy(
    complaint,
    policy: Policy,
    calendar: WorkCalendar,
    *,
    now: datetime,
    pauses=(),
    earlier_policy: Policy | None = None,
):
    """Set the due columns, next_deadline and sla_next_check in memory.

    earlier_policy: the normal policy of a complaint that became urgent after acceptance.
    """
    deadlines = compute_deadlines(
        facts_of(complaint, pauses), policy, calendar, earlier_policy=earlier_policy
    )
    complaint.first_response_due = deadlines.first_response_due
    complaint.resolution_due = deadlines.resolution_due
    complaint.follow_up_due = deadlines.follow_up_due
    complaint.statutory_due = deadlines.statutory_due
    complaint.next_deadline = deadlines.next_deadline
    complaint.sla_next_check = next_check(scheduled_events(deadlines, policy, calendar), now=now)


def refresh_deadlines(
    complaint,
    *,
    now: datetime,
    calendar: WorkCalendar | None = None,
    book: PolicyBook | None = None,
) -> None:
    """Set the due columns, next_deadline and sla_next_check of a complaint (the caller saves).

    The policy is the most specific active one for the complaint's priority and channel
    (external complaints count as urgent); see escalation.schedule.compute_deadlines for the
    timers. next_deadline is the nearest due of the timers still running, None for a complaint
    that is no longer open.
    """
    if book is None:
        from kernel import refdata

        book = refdata.current()["sla"]  # cached until a policy or the calendar changes
    policy = book.policy_of(complaint)
    earlier = book.policy_before_urgent(complaint)
    clocks = {policy.clock_type, earlier.clock_type if earlier else policy.clock_type}
    pauses = _round_pauses(complaint) if clocks != {ClockType.CALENDAR_HOURS} else []
    apply_policy(
        complaint,
        policy,
        calendar or book.calendar,
        now=now,
        pauses=pauses,
        earlier_policy=earlier,
    )


def complaints_recompute(*, now: datetime, queryset=None, batch_size: int = 1000) -> int:
    """Recompute the deadlines of open complaints in bulk batches; return how many changed.

    Keyset pagination by id; each batch locks its rows (so a service writing at the same time
    waits, and then refreshes them itself), computes in memory and writes with one bulk UPDATE.
    """
    from django.db import transaction

    from complaints.models import Complaint, PauseInterval

    book = PolicyBook.load()
    base = queryset if queryset is not None else Complaint.objects.open()
    last_id = 0
    changed = 0
    while True:
        with transaction.atomic():
            batch = list(
                base.filter(pk__gt=last_id)
                .select_for_update(of=("self",))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return changed
            last_id = batch[-1].pk
            pauses_by_id = defaultdict(list)
            paused_ids = [c.pk for c in batch if c.paused_seconds or c.paused_at]
            if paused_ids:
                for complaint_id, start, end, reopened in PauseInterval.objects.filter(
                    complaint_id__in=paused_ids
                ).values_list("complaint_id", "started_at", "ended_at", "complaint__reopened_at"):
                    if reopened is None or start >= reopened:
                        pauses_by_id[complaint_id].append((start, end))
            dirty = []
            for complaint in batch:
                before = tuple(getattr(complaint, f) for f in DEADLINE_FIELDS)
                apply_policy(
                    complaint,
                    book.policy_of(complaint),
                    book.calendar,
                    now=now,
                    pauses=pauses_by_id.get(complaint.pk, ()),
                    earlier_policy=book.policy_before_urgent(complaint),
                )
                if tuple(getattr(complaint, f) for f in DEADLINE_FIELDS) != before:
                    dirty.append(complaint)
            if dirty:
                Complaint.objects.bulk_update(dirty, DEADLINE_FIELDS)
            changed += len(dirty)
