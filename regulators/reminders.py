"""Tell supervisors when a regulator appeal's deadline is near or past (SPEC §7).

The regulators sweep claims each reminder exactly once (one AppealReminder row) and sends
`appeal_deadline_due` inside its transaction; this writes the outbox rows in that same
transaction, keyed by the reminder, so a reminder is queued once whatever happens after.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from complaints.directory import StaffDirectory
from kernel.models import Notification

DEADLINE_LABELS = {
    "company_report": "企业处理情况报告",
    "mediation_feedback": "调解意见反馈",
    "regulator_reply": "监管部门答复用户",
}


def on_appeal_deadline_due(sender, *, appeal, kind, stage, due_at, reminder, **kwargs):
    """Queue an in-app notice (and e-mail; SMS when overdue) for every supervisor."""
    directory = StaffDirectory.load()
    now = reminder.sent_at or timezone.now()  # the sweep's clock, not the delivery's
    overdue = stage == "overdue"
    context = {
        "case_no": appeal.case_no,
        "ticket_no": appeal.complaint.ticket_no if appeal.complaint_id else "",
        "deadline": DEADLINE_LABELS.get(kind, kind),
        "stage": stage,
        "due_at": due_at.isoformat(),
        "overdue_seconds": max(int((now - due_at).total_seconds()), 0),
    }
    rows = [
        Notification(
            topic=f"appeal-reminder:{reminder.pk}",
            template="staff_appeal_overdue" if overdue else "staff_appeal_due_soon",
            channel=channel,
            recipient_key=f"user:{user_id}",
            user_id=user_id,
            complaint_id=appeal.complaint_id,
            context=context,
            next_attempt_at=now,
            created_at=now,
        )
        for user_id in directory.supervisors
        for channel in directory.channels(user_id, urgent=overdue)
    ]
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        from kernel.outbox.delivery import kick_delivery

        transaction.on_commit(kick_delivery)
