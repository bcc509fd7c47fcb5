"""Timers that features run on records of their own, swept like the complaints' (SPEC §4).

Features register them in complaints.hooks.timed_records; the sweep is the complaint sweep's
sibling, exactly-once the same way. See docs/integration-notes.md, "Claim timers run through
the SLA engine".
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from complaints import hooks
from complaints.directory import StaffDirectory
from escalation.schedule import (
    EventKind,
    ScheduledEvent,
    Timer,
    TimerName,
    next_after,
    next_check,
    record_events,
    timer_level,
)
from escalation.sla_policies import PolicyBook
from kernel import refdata
from kernel.clock import ClockType

# What the sweep reads of a record's complaint, besides the record's own fields.
COMPLAINT_FIELDS = (
    "complaint__id",
    "complaint__ticket_no",
    "complaint__priority",
    "complaint__channel",
    "complaint__is_external",
    "complaint__unit_id",
)


def _timers(source: hooks.TimedRecords, record) -> tuple[Timer, ...]:
    return tuple(
        Timer(
            TimerName(t.name),
            t.started_at,
            t.due_at,
            t.due_at - t.started_at,
            t.running,
            ClockType.CALENDAR_HOURS,
        )
        for t in source.timers(record)
    )


def events_of(source: hooks.TimedRecords, record, book: PolicyBook) -> list[ScheduledEvent]:
    """Every event of the record's running timers, under its complaint's SLA policy."""
    policy = book.policy_of(record.complaint)
    return record_events(_timers(source, record), policy, book.calendar)


def record_timers_refresh(record, *, now: datetime, reference=None) -> None:
    """Set the record's `sla_next_check` in memory (the caller saves it with the record).

    Called by the feature's every write service in its transaction: a record whose timers
    stopped leaves the sweep's index, a new one enters it at its warning.
    """
    book = (reference or refdata.current())["sla"]
    source = hooks.timed_records_of(type(record))
    record.sla_next_check = next_check(events_of(source, record, book), now=now)


def record_timer_levels(record, *, now: datetime, reference=None) -> list[dict]:
    """The record's running timers with their colour, as the sweep sees them (no queries).

    [{"timer": "claim_settlement", "due": …, "level": "ok" | "warning" | "breached"}]
    """
    book = (reference or refdata.current())["sla"]
    source = hooks.timed_records_of(type(record))
    policy = book.policy_of(record.complaint)
    return [
        {
            "timer": t.name.value,
            "due": t.due_at,
            "level": timer_level(t, policy, book.calendar, now=now),
        }
        for t in _timers(source, record)
        if t.running
    ]


def records_recompute(*, now: datetime, batch_size: int = 1000) -> int:
    """Recompute the next check of every record with a running timer (after a policy change)."""
    book = PolicyBook.load()
    changed = 0
    for source in hooks.timed_records:
        model = source.model
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(
                    model.objects.filter(**source.running, pk__gt=last_id)
                    .select_for_update(of=("self",))
                    .select_related("complaint")
                    .only(*source.fields, *COMPLAINT_FIELDS)
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                last_id = batch[-1].pk
                dirty = []
                for record in batch:
                    before = record.sla_next_check
                    record.sla_next_check = next_check(events_of(source, record, book), now=now)
                    if record.sla_next_check != before:
                        dirty.append(record)
                if dirty:
                    model.objects.bulk_update(dirty, ["sla_next_check"])
                changed += len(dirty)
    return changed


def records_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = 500,
    book: PolicyBook | None = None,
    directory: StaffDirectory | None = None,
):
    """Fire every due record warning and breach exactly once; return a SweepResult."""
    from escalation.sweep import SweepResult

    now = now or timezone.now()
    book = book or PolicyBook.load()
    directory = directory or StaffDirectory.load()
    total = SweepResult()
    for source in hooks.timed_records:
        while True:
            result = records_sweep_batch(
                source, now=now, batch_size=batch_size, book=book, directory=directory
            )
            total.add(result)
            if result.complaints < batch_size:
                break
    return total


def _due(source: hooks.TimedRecords, *, now: datetime, batch_size: int):
    model = source.model
    rows = model.objects.filter(sla_next_check__lte=now).order_by("sla_next_check", "id")
    rows = rows.select_for_update(skip_locked=True, of=("self",))
    fields = (*source.fields, *COMPLAINT_FIELDS)
    return list(rows.select_related("complaint").only(*fields)[:batch_size])


@transaction.atomic
def records_sweep_batch(
    source: hooks.TimedRecords,
    *,
    now: datetime,
    batch_size: int,
    book: PolicyBook,
    directory: StaffDirectory,
):
    """Claim and notify the due events of one batch of records, in one transaction."""
    from escalation.sweep import SweepResult, set_next_checks
    from kernel.outbox.delivery import kick_delivery

    batch = _due(source, now=now, batch_size=batch_size)
    if not batch:
        return SweepResult()
    candidates = []
    for record in batch:
        events = events_of(source, record, book)
        policy_name = book.policy_of(record.complaint).key
        candidates.extend((record, e, policy_name) for e in events if e.fire_at <= now)
        record.sla_next_check = next_after(events, now=now)
    claimed = _claim(candidates, now=now)
    notifications = _notify(source, claimed, directory=directory, now=now)
    set_next_checks(source.model._meta.db_table, [(r.pk, r.sla_next_check) for r in batch])
    if notifications:
        transaction.on_commit(kick_delivery)
    return SweepResult(
        complaints=len(batch), events=len(claimed), notifications=notifications, batches=1
    )


def _claim(candidates, *, now: datetime) -> list[tuple[object, ScheduledEvent, int]]:
    """Insert the events; return (record, event, event id) for those inserted just now."""
    if not candidates:
        return []
    from escalation.models import SlaEvent

    columns = (
        "complaint_id, record_id, timer, kind, level, timer_started_at, due_at, scheduled_at, "
        "fired_at, overdue_seconds, unit_id, priority, policy_name"
    )
    params: list = []
    by_key = {}
    for record, event, policy_name in candidates:
        complaint = record.complaint
        overdue = int((now - event.due_at).total_seconds()) if event.kind == EventKind.BREACH else 0
        params += [
            complaint.pk,
            record.pk,
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
        # One record in progress per complaint and timer, so these three name the event.
        by_key[(complaint.pk, event.timer.value, event.kind.value)] = (record, event)
    values = ", ".join(["(" + ", ".join(["%s"] * 13) + ")"] * len(candidates))
    claimed = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SlaEvent._meta.db_table} ({columns}) VALUES {values} "  # nosec B608  # the model's table and columns; values are parameters
            "ON CONFLICT (complaint_id, timer, kind, level, timer_started_at) DO NOTHING "
            "RETURNING id, complaint_id, timer, kind",
            params,
        )
        for event_id, complaint_id, timer, kind in cursor.fetchall():
            record, event = by_key[(complaint_id, timer, kind)]
            claimed.append((record, event, event_id))
    claimed.sort(key=lambda item: (item[1].fire_at, item[2]))
    return claimed


def _notify(source, claimed, *, directory: StaffDirectory, now: datetime) -> int:
    """Outbox rows for the events just claimed: unit head and supervisors, in-app and e-mail."""
    from kernel.models import Notification

    rows = []
    for record, event, event_id in claimed:
        complaint = record.complaint
        context = {
            "ticket_no": complaint.ticket_no,
            "timer": event.timer.value,
            "kind": event.kind.value,
            "level": 0,
            "due_at": event.due_at.isoformat(),
            "overdue_seconds": max(int((now - event.due_at).total_seconds()), 0),
            **source.message(record),
        }
        for user_id in directory.managers(unit_id=complaint.unit_id):
            for channel in directory.channels(user_id, urgent=False):
                rows.append(
                    Notification(
                        topic=f"sla:{event_id}",
                        template=f"{source.message_prefix}{event.kind.value}",
                        channel=channel,
                        recipient_key=f"user:{user_id}",
                        user_id=user_id,
                        complaint_id=complaint.pk,
                        event_id=event_id,
                        context=context,
                        delivery_id=uuid.uuid4(),
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    # The events were claimed in this transaction, so their topics are new: no conflicts.
    Notification.objects.bulk_create(rows)
    return len(rows)
