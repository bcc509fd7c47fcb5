"""The SLA sweep: fire every due warning, breach, escalation and 12305 risk exactly once.

The database is the source of truth and Celery only says "look now": rows locked FOR UPDATE
SKIP LOCKED in bounded batches, each event claimed by INSERT … ON CONFLICT DO NOTHING on its
unique key, notifications only for the rows inserted. See docs/integration-notes.md, "Sweep
speed".
"""

from __future__ import annotations

import logging
import time as monotonic_time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from complaints.directory import StaffDirectory
from escalation.recipients import SMS_KINDS, for_event
from escalation.schedule import (
    EventKind,
    ScheduledEvent,
    compute_deadlines,
    next_after,
    scheduled_events,
)
from escalation.sla_deadlines import facts_of
from escalation.sla_policies import PolicyBook
from kernel.clock import ClockType

log = logging.getLogger(__name__)

SWEEP_FIELDS = (
    "id",
    "ticket_no",
    "status",
    "priority",
    "channel",
    "is_external",
    "unit_id",
    "owner_id",
    "handler_id",
    "accepted_at",
    "reopened_at",
    "first_response_at",
    "first_answered_at",
    "answered_at",
    "paused_at",
    "paused_seconds",
    "sla_next_check",
    "urgent_since",
)


class SweepRow(NamedTuple):
    """What the sweep reads of a complaint: plain tuples, not model instances (a model with
    its FSM field costs more to build than the whole schedule computation)."""

    id: int
    ticket_no: str
    status: str
    priority: str
    channel: str
    is_external: bool
    unit_id: int | None
    owner_id: int | None
    handler_id: int | None  # the 处理人 hears of warnings and breaches first (issue 20 §2)
    accepted_at: datetime
    reopened_at: datetime | None
    first_response_at: datetime | None
    first_answered_at: datetime | None
    answered_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    sla_next_check: datetime | None
    urgent_since: datetime | None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_open(self) -> bool:
        from complaints.models import OPEN_STATES

        return self.status in OPEN_STATES


assert SweepRow._fields == SWEEP_FIELDS  # nosec B101  # import-time self-check of two constants


def sla_conf(key: str):
    """One of settings.SLA (config/settings.py declares each with its default)."""
    return settings.SLA[key]


@dataclass
class SweepResult:
    complaints: int = 0
    events: int = 0
    notifications: int = 0
    batches: int = 0
    seconds: float = 0.0

    def add(self, other: SweepResult) -> None:
        self.complaints += other.complaints
        self.events += other.events
        self.notifications += other.notifications
        self.batches += other.batches


def sla_sweep(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
    workers: int | None = None,
) -> SweepResult:
    """Sweep batch after batch until nothing is due at `now` or the time budget is used up.

    Leftovers wait for the next beat; a batch is never left half done. `workers` threads
    (SLA["SWEEP_WORKERS"], default 2) sweep disjoint batches at once — each batch locks its
    rows FOR UPDATE SKIP LOCKED, so the threads never take the same complaint, and one thread
    computes while another waits for the database. Inside a transaction (the
    tests') the sweep runs in the caller's thread alone.
    """
    now = now or timezone.now()
    batch_size = batch_size or sla_conf("SWEEP_BATCH")
    budget = sla_conf("SWEEP_TIME_BUDGET_SECONDS") if time_budget is None else time_budget
    workers = workers or sla_conf("SWEEP_WORKERS")
    started = monotonic_time.monotonic()
    book = PolicyBook.load()
    directory = StaffDirectory.load()
    total = SweepResult()

    def sweep_until_done() -> SweepResult:
        part = SweepResult()
        while True:
            result = sweep_batch(now=now, batch_size=batch_size, book=book, directory=directory)
            part.add(result)
            # Fewer than a full batch: nothing unlocked is left (locked rows are another
            # thread's, which sweeps them).
            if result.complaints < batch_size or monotonic_time.monotonic() - started > budget:
                return part
            # Optionally yield to the web traffic between batches (each batch holds row locks).
            monotonic_time.sleep(sla_conf("SWEEP_PAUSE_SECONDS"))

    parallel = workers > 1 and not connection.in_atomic_block
    if parallel:
        for part in _in_threads(sweep_until_done, workers):
            total.add(part)
    else:
        total.add(sweep_until_done())
    total.seconds = monotonic_time.monotonic() - started
    if total.events:
        log.info(
            "SLA sweep: %d complaints, %d events, %d notifications in %.2fs",
            total.complaints,
            total.events,
            total.notifications,
            total.seconds,
        )
    return total


def _in_threads(work, count: int) -> list:
    """Run `work` in `count` threads, each with its own database connection; return results.

    An exception in any thread is raised here after all have finished (each thread's batch
    transaction has rolled back by then, so nothing is half done).
    """
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return work()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="sla-sweep") as pool:
        futures = [pool.submit(run) for _ in range(count)]
        return [f.result() for f in futures]


def _due_batch(*, now: datetime, batch_size: int):
    from complaints.models import Complaint

    rows = Complaint.objects.filter(sla_next_check__lte=now).order_by("sla_next_check")
    rows = rows.select_for_update(skip_locked=True, of=("self",))
    return [SweepRow(*values) for values in rows.values_list(*SWEEP_FIELDS)[:batch_size]]


@transaction.atomic
def sweep_batch(
    *, now: datetime, batch_size: int, book: PolicyBook, directory: StaffDirectory
) -> SweepResult:
    """Claim and notify the due events of one batch of complaints, in one transaction."""
    from complaints.models import Complaint, PauseInterval

    batch = _due_batch(now=now, batch_size=batch_size)
    if not batch:
        return SweepResult()
    pauses = defaultdict(list)
    need_pauses = [
        c.pk
        for c in batch
        if (c.paused_seconds or c.paused_at)
        and book.policy_of(c).clock_type != ClockType.CALENDAR_HOURS
    ]
    if need_pauses:
        for cid, start, end in PauseInterval.objects.filter(
            complaint_id__in=need_pauses
        ).values_list("complaint_id", "started_at", "ended_at"):
            pauses[cid].append((start, end))

    candidates: list[tuple[SweepRow, ScheduledEvent, str]] = []
    next_checks: list[tuple[int, datetime | None]] = []
    for complaint in batch:
        policy = book.policy_of(complaint)
        round_pauses = [
            p
            for p in pauses.get(complaint.pk, ())
            if not complaint.reopened_at or p[0] >= complaint.reopened_at
        ]
        deadlines = compute_deadlines(
            facts_of(complaint, round_pauses),
            policy,
            book.calendar,
            earlier_policy=book.policy_before_urgent(complaint),
        )
        events = scheduled_events(deadlines, policy, book.calendar)
        candidates.extend((complaint, e, policy.key) for e in events if e.fire_at <= now)
        next_checks.append((complaint.id, next_after(events, now=now)))

    claimed = _claim(candidates, now=now)
    notifications = _notifications(claimed, directory=directory, now=now)
    set_next_checks(Complaint._meta.db_table, next_checks)
    if notifications:
        from kernel.outbox.delivery import kick_delivery

        transaction.on_commit(kick_delivery)
    return SweepResult(
        complaints=len(batch), events=len(claimed), notifications=notifications, batches=1
    )


def set_next_checks(table: str, pairs: list[tuple[int, datetime | None]]) -> None:
    """Move each row's next check to its next event, in one statement per batch.

    (Django's bulk_update builds a CASE per row, several times slower for a 1000-row batch.)
    """
    if not pairs:
        return
    values = ", ".join(["(%s, %s::timestamptz)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET sla_next_check = v.next_check "  # nosec B608  # the model's table and columns; values are parameters
            f"FROM (VALUES {values}) AS v(id, next_check) WHERE c.id = v.id",
            [p for pair in pairs for p in pair],
        )


def _rows_per_statement(columns: int) -> int:
    """As many rows per INSERT as PostgreSQL takes parameters (65 535): one statement a batch."""
    return max(1, 65_535 // columns)


def _claim(candidates, *, now: datetime) -> list[tuple[object, ScheduledEvent, int]]:
    """Insert the events; return (complaint, event, event id) for those inserted just now."""
    if not candidates:
        return []
    from escalation.models import SlaEvent

    table = SlaEvent._meta.db_table
    columns = (
        "complaint_id, timer, kind, level, timer_started_at, due_at, scheduled_at, fired_at, "
        "overdue_seconds, unit_id, priority, policy_name"
    )
    by_key = {}
    claimed = []
    chunk = _rows_per_statement(12)
    for offset in range(0, len(candidates), chunk):
        part = candidates[offset : offset + chunk]
        params: list = []
        for complaint, event, policy_name in part:
            overdue = (
                int((now - event.due_at).total_seconds()) if event.kind != EventKind.WARNING else 0
            )
            params += [
                complaint.pk,
                event.timer.value,
                event.kind.value,
                event.level,
                event.timer_started_at,
                event.due_at,
                event.fire_at,
                now,
                max(overdue, 0),
                complaint.unit_id,
                complaint.priority,
                policy_name[:60],
            ]
            by_key[(complaint.pk, event.timer.value, event.kind.value, event.level)] = (
                complaint,
                event,
            )
        values = ", ".join(["(" + ", ".join(["%s"] * 12) + ")"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "  # nosec B608  # the model's table and columns; values are parameters
                "ON CONFLICT (complaint_id, timer, kind, level, timer_started_at) DO NOTHING "
                "RETURNING id, complaint_id, timer, kind, level",
                params,
            )
            for event_id, complaint_id, timer, kind, level in cursor.fetchall():
                complaint, event = by_key[(complaint_id, timer, kind, level)]
                claimed.append((complaint, event, event_id))
    # Notify in firing order, so a late sweep still tells warning before breach before escalation.
    claimed.sort(key=lambda item: (item[1].fire_at, item[2]))
    return claimed


def _notifications(claimed, *, directory: StaffDirectory, now: datetime) -> int:
    """Write the outbox rows of the events just claimed; return how many."""
    import json
    import uuid

    from kernel.models import Notification

    rows = []
    for complaint, event, event_id in claimed:
        people = for_event(
            directory,
            kind=event.kind,
            timer=event.timer,
            notify=event.notify,
            unit_id=complaint.unit_id,
            owner_id=complaint.owner_id,
            handler_id=complaint.handler_id,
        )
        context = json.dumps(
            {
                "ticket_no": complaint.ticket_no,
                "timer": event.timer.value,
                "kind": event.kind.value,
                "level": event.level,
                "due_at": event.due_at.isoformat(),
                "overdue_seconds": max(int((now - event.due_at).total_seconds()), 0),
            }
        )
        for user_id in people:
            for channel in directory.channels(user_id, urgent=event.kind in SMS_KINDS):
                rows.append(
                    (
                        f"sla:{event_id}",
                        f"staff_{event.kind.value}",
                        channel,
                        f"user:{user_id}",
                        user_id,
                        complaint.pk,
                        event_id,
                        context,
                        str(uuid.uuid4()),
                        Notification.Status.PENDING.value,
                        0,
                        now,
                        "",
                        now,
                    )
                )
    # The events were claimed in this transaction, so their topics are new: no conflicts.
    # Raw multi-row INSERTs: Django's bulk_create costs more than the database here.
    table = Notification._meta.db_table
    columns = (
        "topic, template, channel, recipient_key, user_id, complaint_id, event_id, context, "
        "delivery_id, status, attempts, next_attempt_at, last_error, created_at"
    )
    placeholder = "(" + ", ".join(["%s"] * 14) + ")"
    chunk = _rows_per_statement(14)
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), chunk):
            part = rows[offset : offset + chunk]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(part))}",  # nosec B608  # the model's table and columns; values are parameters
                [value for row in part for value in row],
            )
    return len(rows)
