"""The deadline sweep: find due and nearly due appeal deadlines and remind exactly once.

Like the complaint SLA sweeps: one indexed range query per deadline column (partial indexes
on the appeals where that deadline still runs), in bounded batches; each reminder is claimed by
inserting an AppealReminder row whose unique constraint lets only one of several workers win,
and `appeal_deadline_due` is sent inside the claiming transaction for the outbox to pick up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from .appeal_deadlines import DeadlineKind, ReminderStage
from .models import OPEN_APPEAL_STATES, REPORT_PENDING_STATES, Appeal, AppealReminder, AppealState
from .signals import appeal_deadline_due

log = logging.getLogger(__name__)

# Per deadline: its column and the appeals on which it still runs (matching the partial index).
RUNNING = {
    DeadlineKind.COMPANY_REPORT: ("company_report_due", Q(state__in=REPORT_PENDING_STATES)),
    DeadlineKind.MEDIATION_FEEDBACK: (
        "mediation_feedback_due",
        Q(state=AppealState.MEDIATION, mediation_answered_at__isnull=True),
    ),
    DeadlineKind.REGULATOR_REPLY: ("regulator_reply_due", Q(state__in=OPEN_APPEAL_STATES)),
}
MAX_BATCHES = 50  # per deadline and stage per run; the next run picks up the rest


def _lead(kind: DeadlineKind) -> timedelta:
    return timedelta(hours=settings.REGULATORS["LEAD_HOURS"][kind.value])


def _candidates(kind: DeadlineKind, stage: ReminderStage, *, now: datetime, limit: int):
    column, running = RUNNING[kind]
    if stage == ReminderStage.OVERDUE:
        window = Q(**{f"{column}__lte": now})
    else:
        window = Q(**{f"{column}__gt": now, f"{column}__lte": now + _lead(kind)})
    claimed = AppealReminder.objects.filter(
        appeal=OuterRef("pk"), kind=kind.value, stage=stage.value, due_at=OuterRef(column)
    )
    return list(
        Appeal.objects.filter(running, window)
        .filter(~Exists(claimed))
        .order_by(column, "pk")
        .values_list("pk", column)[:limit]
    )


def _claim(kind: DeadlineKind, stage: ReminderStage, pk: int, due: datetime, *, now) -> bool:
    """Claim one reminder and announce it; return False when it is gone or already claimed."""
    column, running = RUNNING[kind]
    with transaction.atomic():
        # Re-check under the row lock: the step may have been done since the batch was read.
        appeal = Appeal.objects.select_for_update().filter(running, pk=pk, **{column: due}).first()
        if appeal is None:
            return False
        try:
            with transaction.atomic():
                reminder = AppealReminder.objects.create(
                    appeal=appeal, kind=kind.value, stage=stage.value, due_at=due, sent_at=now
                )
        except IntegrityError:
            return False  # another worker claimed it first
        appeal_deadline_due.send(
            sender=Appeal,
            appeal=appeal,
            kind=kind.value,
            stage=stage.value,
            due_at=due,
            reminder=reminder,
        )
    return True


def appeal_sweep_deadlines(*, now: datetime, batch: int | None = None) -> int:
    """Send every due-soon and overdue reminder not yet sent; return how many this run sent."""
    batch = batch or settings.REGULATORS["SWEEP_BATCH"]
    sent = 0
    for kind in DeadlineKind:
        for stage in ReminderStage:
            for _ in range(MAX_BATCHES):
                rows = _candidates(kind, stage, now=now, limit=batch)
                sent += sum(_claim(kind, stage, pk, due, now=now) for pk, due in rows)
                if len(rows) < batch:
                    break
    if sent:
        log.info("appeal deadline reminders sent: %s", sent)
    return sent
