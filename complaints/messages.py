"""Messages about complaint changes: customers, the staff assigned, and partner webhooks.

Listens to complaints.signals.complaint_changed, which is sent inside the service's
transaction: the outbox rows are written there (lost with the change if it rolls back, never
without it) and delivery is kicked only after commit.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kernel import refdata
from kernel.db import inserts
from kernel.models import Channel, Notification

# Complaint event → (customer SMS template, partner webhook event). SPEC §7: customers get
# acceptance, reply, follow-up and closure.
CUSTOMER_MESSAGES = {
    "create": ("customer_accepted", "complaint.accepted"),
    "reply": ("customer_answered", "complaint.answered"),
    "start_follow_up": ("customer_follow_up", None),
    "close": ("customer_closed", "complaint.closed"),
    # Compensation decisions (compensation.services): the customer hears amount and outcome.
    "claim_approved": ("customer_claim_approved", None),
    "claim_rejected": ("customer_claim_rejected", None),
    "claim_paid": ("customer_claim_paid", None),
}
# Facts of an event that its customer message may quote.
MESSAGE_DETAILS = ("amount", "currency", "paid_on", "payment_reference")
# What the unit head's "nobody could be assigned" notice quotes (issue 20 §2).
UNASSIGNED_DETAILS = ("why", "cap")
# Staff hear about new work for their unit.
ASSIGNMENT_EVENTS = {"dispatch", "reassign"}


def on_complaint_changed(sender, *, complaint, event, actor=None, details=None, **kwargs):
    """Queue the messages an event causes, in the caller's transaction."""
    audit = kwargs.get("audit")
    now = getattr(audit, "at", None) or timezone.now()
    topic = (
        f"complaint:{audit.pk}"
        if audit is not None
        else f"complaint:{complaint.pk}:{event}:{now.isoformat()}"
    )
    rows: list[Notification] = []
    context = {"ticket_no": complaint.ticket_no, "event": event}
    context.update({k: v for k, v in (details or {}).items() if k in MESSAGE_DETAILS})
    if audit is not None and audit.reason:
        context["reason"] = audit.reason

    def add(**fields):
        rows.append(
            Notification(
                topic=topic,
                complaint_id=complaint.pk,
                next_attempt_at=now,
                created_at=now,
                **fields,
            )
        )

    customer = CUSTOMER_MESSAGES.get(event)
    if customer:
        template, webhook_event = customer
        add(
            template=template,
            channel=Channel.SMS,
            recipient_key="customer",
            context=context,
        )
        if webhook_event and complaint.created_by_id:
            # From the reference data the caller read (a submission already has it), else the
            # cached copy: no query of its own on the submission path.
            reference = kwargs.get("reference") or refdata.current()
            endpoints = reference["webhook_endpoints"].get(complaint.created_by_id, ())
            for endpoint_id, events in endpoints:
                if webhook_event in events:
                    add(
                        template=webhook_event,
                        channel=Channel.WEBHOOK,
                        recipient_key=f"endpoint:{endpoint_id}",
                        endpoint_id=endpoint_id,
                        context=_webhook_data(complaint),
                    )
    if event in ASSIGNMENT_EVENTS or (event == "create" and complaint.unit_id):
        from complaints.directory import StaffDirectory

        directory = StaffDirectory.for_unit(complaint.unit_id)
        people = list(directory.unit_staff.get(complaint.unit_id, []))
        if complaint.handler_id in directory.active:
            people = [complaint.handler_id]  # assigned on arrival: only the 处理人 (issue 20 §2)
        urgent = complaint.priority == "urgent"
        if urgent:
            people += directory.supervisors  # SPEC §3: urgent tickets notify the supervisor.
        for user_id in dict.fromkeys(people):
            for channel in directory.channels(user_id, urgent=urgent):
                add(
                    template="staff_assigned",
                    channel=channel,
                    recipient_key=f"user:{user_id}",
                    user_id=user_id,
                    context={**context, "urgent": urgent},
                )
    if event == "assign_handler" and actor is not None and complaint.handler_id != actor.pk:
        _tell_staff(add, [complaint.handler_id], "staff_handler_assigned", context, complaint)
    if event == "auto_assign_none":
        # Nobody on duty below the cap: the unit head arranges it (supervisors without a head).
        head = (details or {}).get("head")
        extra = {k: (details or {}).get(k) for k in UNASSIGNED_DETAILS}
        people = [head] if head else None
        _tell_staff(add, people, "staff_unassigned", {**context, **extra}, complaint)
    if rows:
        inserts.insert_ignoring_conflicts(rows)  # bulk_create(…, ignore_conflicts=True)
        from kernel.outbox.delivery import kick_delivery

        transaction.on_commit(kick_delivery)


def _tell_staff(add, people, template: str, context: dict, complaint) -> None:
    """Queue `template` for `people` (None: the supervisors) on their channels."""
    from complaints.directory import StaffDirectory

    directory = StaffDirectory.for_unit(complaint.unit_id)
    if people is None:
        people = directory.supervisors
    urgent = complaint.priority == "urgent"
    for user_id in dict.fromkeys(p for p in people if p):
        for channel in directory.channels(user_id, urgent=urgent):
            add(
                template=template,
                channel=channel,
                recipient_key=f"user:{user_id}",
                user_id=user_id,
                context={**context, "urgent": urgent},
            )


def _webhook_data(complaint) -> dict:
    """What a partner learns: its ticket's state, never the customer's personal data."""
    return {
        "ticket_no": complaint.ticket_no,
        "status": complaint.status,
        "tracking_no": complaint.tracking_no,
        "accepted_at": complaint.accepted_at.isoformat() if complaint.accepted_at else None,
        "answered_at": complaint.answered_at.isoformat() if complaint.answered_at else None,
        "closed_at": complaint.closed_at.isoformat() if complaint.closed_at else None,
        "satisfied": complaint.satisfied,
    }
