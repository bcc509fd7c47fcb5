"""Compensation claim timers run through the SLA engine (issue 6; seed 003).

A damage claim must be assessed (定损: approved or rejected) within 48 h of the claim, a loss
claim settled (赔付: paid, or rejected) within 72 h. The due times are stored on the claim
(`assess_due`, `settle_due`); the pure schedule (escalation.schedule.claim_timers /
claim_events) gives each running timer a warning at the complaint's policy's warning share and
a breach at its due time.

The sweep is the complaint sweep's sibling and works the same way: claims due for a look are
found by an index range scan on `Claim.sla_next_check`, locked FOR UPDATE SKIP LOCKED in
bounded batches, each event is claimed by INSERT … ON CONFLICT DO NOTHING on SlaEvent's unique
key (complaint, timer, kind, level, timer run = the claim's time), and only events inserted
just now get outbox rows — the unit head and the supervisors, in-app and by e-mail — in the
same transaction. `sla_next_check` then moves to the claim's next event, or None.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from complaints.directory import StaffDirectory
from escalation.policies import PolicyBook
from escalation.schedule import (
    EventKind,
    ScheduledEvent,
    claim_events,
    claim_timers,
    next_after,
    next_check,
    timer_level,
)

CLAIM_SWEEP_FIELDS = (
    "id",
    "status",
    "amount",
    "incident",
    "proposed_at",
    "assess_due",
    "settle_due",
    "sla_next_check",
    "complaint__id",
    "complaint__ticket_no",
    "complaint__priority",
    "complaint__channel",
    "complaint__is_external",
    "complaint__unit_id",
)


def events_of_claim(claim, book: PolicyBook) -> list[ScheduledEvent]:
    """Every event of the claim's running timers, under its complaint's SLA policy."""
    timers = claim_timers(
        status=claim.status,
        proposed_at=claim.proposed_at,
        assess_due=claim.assess_due,
        settle_due=claim.settle_due,
    )
    return claim_events(timers, book.policy_of(claim.complaint), book.calendar)


def _current_book() -> PolicyBook:
    """The cached policies, reloaded as soon as a policy or the calendar changes."""
    from kernel import refdata

    return refdata.current()["sla"]


def claim_timers_refresh(claim, *, now: datetime, book: PolicyBook | None = None) -> None:
    """Set the claim's `sla_next_check` in memory (the caller saves it with the claim).

    Called by every claim service (propose, approve, reject, pay) in its transaction: a
    decided or paid claim leaves the sweep's index, a new one enters it at its warning.
    """
    events = events_of_claim(claim, book or _current_book())
    claim.sla_next_check = next_check(events, now=now)


def claim_timer_states(claim, *, now: datetime, book: PolicyBook | None = None) -> list[dict]:
    """The claim's running timers with their colour, as the sweep sees them (no queries).

    [{"timer": "claim_settlement", "due": …, "level": "ok" | "warning" | "breached"}]
    """
    book = book or _current_book()
    policy = book.policy_of(claim.complaint)
    timers = claim_timers(
        status=claim.status,
        proposed_at=claim.proposed_at,
        assess_due=claim.assess_due,
        settle_due=claim.settle_due,
    )
    return [
        {
            "timer": t.name.value,
            "due": t.due_at,
            "level": timer_level(t, policy, book.calendar, now=now),
        }
        for t in timers
        if t.running
    ]


def claims_recompute(*, now: datetime, batch_size: int = 1000) -> int:
    """Recompute the next check of every claim with a running timer (after a policy change)."""
    from compensation.models import ACTIVE_CLAIM_STATES, Claim

    book = PolicyBook.load()
    changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Claim.objects.filter(status__in=ACTIVE_CLAIM_STATES, pk__gt=last_id)
                .select_for_update(of=("self",))
                .select_related("complaint")
                .only(*CLAIM_SWEEP_FIELDS)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return changed
            last_id = batch[-1].pk
            dirty = []
            for claim in batch:
                before = claim.sla_next_check
                claim_timers_refresh(claim, now=now, book=book)
                if claim.sla_next_check != before:
                    dirty.append(claim)
            if dirty:
                Claim.objects.bulk_update(dirty, ["sla_next_check"])
            changed += len(dirty)


def claim_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = 500,
    book: PolicyBook | None = None,
    directory: StaffDirectory | None = None,
):
    """Fire every due claim warning and breach exactly once; return a SweepResult."""
    from escalation.sweep import SweepResult

    now = now or timezone.now()
    book = book or PolicyBook.load()
    directory = directory or StaffDirectory.load()
    total = SweepResult()
    while True:
        result = claim_sweep_batch(now=now, batch_size=batch_size, book=book, directory=directory)
        total.add(result)
        if result.complaints < batch_size:
            return total


def _due_claims(*, now: datetime, batch_size: int):
    from compensation.models import Claim

    rows = Claim.objects.filter(sla_next_check__lte=now).order_by("sla_next_check", "id")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    else:
        # SQLite: take the write lock before reading, so nobody changes the rows under us.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Claim._meta.db_table} SET sla_next_check = sla_next_check WHERE id = -1"  # nosec B608  # the model's own table name
            )
    return list(rows.select_related("complaint").only(*CLAIM_SWEEP_FIELDS)[:batch_size])


@transaction.atomic
def claim_sweep_batch(
    *, now: datetime, batch_size: int, book: PolicyBook, directory: StaffDirectory
):
    """Claim and notify the due events of one batch of claims, in one transaction."""
    from compensation.models import Claim
    from escalation.sweep import SweepResult, set_next_checks

    batch = _due_claims(now=now, batch_size=batch_size)
    if not batch:
        return SweepResult()
    candidates = []
    for claim in batch:
        events = events_of_claim(claim, book)
        policy_name = book.policy_of(claim.complaint).key
        candidates.extend((claim, e, policy_name) for e in events if e.fire_at <= now)
        claim.sla_next_check = next_after(events, now=now)
    claimed = _claim(candidates, now=now)
    notifications = _notify(claimed, directory=directory, now=now)
    set_next_checks(Claim._meta.db_table, [(c.pk, c.sla_next_check) for c in batch])
    if notifications:
        from kernel.outbox.delivery import kick_delivery

        transaction.on_commit(kick_delivery)
    return SweepResult(
        complaints=len(batch), events=len(claimed), notifications=notifications, batches=1
    )


def _claim(candidates, *, now: datetime) -> list[tuple[object, ScheduledEvent, int]]:
    """Insert the events; return (claim, event, event id) for those inserted just now."""
    if not candidates:
        return []
    from escalation.models import SlaEvent

    columns = (
        "complaint_id, claim_id, timer, kind, level, timer_started_at, due_at, scheduled_at, "
        "fired_at, overdue_seconds, unit_id, priority, policy_name"
    )
    params: list = []
    by_key = {}
    for claim, event, policy_name in candidates:
        complaint = claim.complaint
        overdue = int((now - event.due_at).total_seconds()) if event.kind == EventKind.BREACH else 0
        params += [
            complaint.pk,
            claim.pk,
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
        # One claim in progress per complaint (a constraint), so these three name the event.
        by_key[(complaint.pk, event.timer.value, event.kind.value)] = (claim, event)
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
            claim, event = by_key[(complaint_id, timer, kind)]
            claimed.append((claim, event, event_id))
    claimed.sort(key=lambda item: (item[1].fire_at, item[2]))
    return claimed


def _notify(claimed, *, directory: StaffDirectory, now: datetime) -> int:
    """Outbox rows for the events just claimed: unit head and supervisors, in-app and e-mail."""
    from kernel.models import Notification

    rows = []
    for claim, event, event_id in claimed:
        complaint = claim.complaint
        context = {
            "ticket_no": complaint.ticket_no,
            "timer": event.timer.value,
            "kind": event.kind.value,
            "level": 0,
            "due_at": event.due_at.isoformat(),
            "overdue_seconds": max(int((now - event.due_at).total_seconds()), 0),
            "claim_id": claim.pk,
            "amount": f"{claim.amount:.2f}",
        }
        for user_id in directory.managers(unit_id=complaint.unit_id):
            for channel in directory.channels(user_id, urgent=False):
                rows.append(
                    Notification(
                        topic=f"sla:{event_id}",
                        template=f"staff_claim_{event.kind.value}",
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
