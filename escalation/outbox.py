"""The notification outbox: queue messages with their event, deliver them with retries.

A message is written in the same transaction as what caused it, so it is never lost; delivery
happens after commit, in Celery, and a failure only schedules a retry with exponential backoff.
Each delivery claims its row with a conditional UPDATE (healthchecks' pattern), so two workers
never send the same message; in-app notices are written in the claiming transaction itself and
so appear exactly once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from escalation import backends
from escalation.models import Channel, Notice, Notification, WebhookEndpoint

log = logging.getLogger(__name__)

# A send that has not finished after this long is taken to have died with its worker
# (SLA["SEND_LEASE_SECONDS"], default 5 minutes: far above one HTTP send's 10 s timeout).
SEND_LEASE = timedelta(minutes=5)


def send_lease() -> timedelta:
    from escalation.sweep import sla_conf

    return timedelta(seconds=float(sla_conf("SEND_LEASE_SECONDS") or SEND_LEASE.total_seconds()))


MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 6 h, after the n-th failed attempt."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


_last_kick = float("-inf")


def kick_delivery() -> None:
    """Ask a worker to deliver now; if the broker is down the minute catch-up will."""
    from django.core.cache import cache

    from escalation.tasks import deliver_outbox

    # One kick a second is enough: a delivery run takes every due row, and the minute
    # catch-up takes what a skipped kick would have. (A flood of kicks would queue the sweep
    # behind them on the development filesystem broker.) This process remembers its own last
    # kick, so a busy worker asks the shared cache at most once a second, not per request.
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 1:
        return
    _last_kick = now
    if not cache.add("escalation:outbox-kick", 1, timeout=1):
        return
    try:
        # No publish retries inside a web request (Kombu retries with back-off by default):
        # when the broker is down, the minute catch-up delivers instead.
        deliver_outbox.apply_async(retry=False)
    except Exception:  # never fail the caller: the outbox row is committed
        log.warning("could not reach the broker; the outbox catch-up will deliver", exc_info=True)


# --- Rendering ------------------------------------------------------------------------------


def render(notification: Notification) -> tuple[str, str]:
    """Return (subject, text) from the Chinese template escalation/messages/<template>.txt.

    The first line of the template is the subject, the rest the text.
    """
    from complaints.models import Complaint

    complaint = None
    if notification.complaint_id:
        complaint = Complaint.objects.select_related("unit").get(pk=notification.complaint_id)
    context = dict(notification.context)
    if context.get("due_at"):
        context["due_at"] = datetime.fromisoformat(context["due_at"])
    overdue = int(context.get("overdue_seconds") or 0)
    context["overdue"] = _duration_text(overdue)
    context.update(
        {
            "complaint": complaint,
            "timer_label": TIMER_LABELS.get(context.get("timer"), ""),
        }
    )
    rendered = render_to_string(f"escalation/messages/{notification.template}.txt", context)
    lines = [line.rstrip() for line in rendered.strip().splitlines()]
    subject = lines[0] if lines else ""
    text = "\n".join(line for line in lines[1:] if line).strip()
    return subject, text or subject


TIMER_LABELS = {
    "first_response": "首次响应（24小时内联系客户）",
    "resolution": "处理完毕（给出答复）",
    "follow_up": "回访",
    "statutory": "法定答复（7日）",
    "claim_assessment": "赔偿定损（48小时）",
    "claim_settlement": "赔偿支付（72小时）",
}


def _duration_text(seconds: int) -> str:
    if seconds < 60:
        return "不足1分钟"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}天")
    if hours:
        parts.append(f"{hours}小时")
    if minutes and not days:
        parts.append(f"{minutes}分钟")
    return "".join(parts)


# --- Delivery -------------------------------------------------------------------------------


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver the messages that are due (the catch-up re-finds anything a kick missed)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for notification_id in ids:
        outcome = notification_deliver(notification_id=notification_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _claim(notification_id: int, now: datetime) -> int:
    """Take the row for one attempt; 0 when another worker has it or it is not due."""
    return (
        Notification.objects.filter(
            pk=notification_id,
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
            next_attempt_at__lte=now,
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(
            status=Notification.Status.SENDING,
            attempts=F("attempts") + 1,
            locked_until=now + send_lease(),
        )
    )


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one message; return "sent", "retry", "failed", "skipped" or "taken"."""
    now = timezone.now()
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return "taken"
    if notification.channel == Channel.IN_APP:
        return _deliver_in_app(notification_id, now)
    if _claim(notification_id, now) != 1:
        return "taken"
    notification.refresh_from_db()
    try:
        sent = _send(notification)
    except Exception as exc:  # any failure is retried, never raised to callers
        return _failed(notification, exc)
    status = Notification.Status.SENT if sent else Notification.Status.SKIPPED
    Notification.objects.filter(pk=notification.pk, attempts=notification.attempts).update(
        status=status, sent_at=timezone.now(), locked_until=None, last_error=""
    )
    return "sent" if sent else "skipped"


@transaction.atomic
def _deliver_in_app(notification_id: int, now: datetime) -> str:
    # Claim, write the notice and mark sent in one transaction: exactly one notice.
    if _claim(notification_id, now) != 1:
        return "taken"
    notification = Notification.objects.get(pk=notification_id)
    subject, text = render(notification)
    Notice.objects.create(
        user_id=notification.user_id,
        notification=notification,
        complaint_id=notification.complaint_id,
        level=notification.context.get("kind", "info"),
        title=subject[:120],
        body=text,
        created_at=notification.created_at,
    )
    notification.status = Notification.Status.SENT
    notification.sent_at = now
    notification.locked_until = None
    notification.save(update_fields=["status", "sent_at", "locked_until"])
    return "sent"


def _send(notification: Notification) -> bool:
    """Send through the channel's backend; False when there is nobody to send to any more."""
    from complaints.models import Complaint
    from complaints.rules import _MOBILE

    delivery_id = str(notification.delivery_id)
    if notification.channel == Channel.WEBHOOK:
        endpoint = WebhookEndpoint.objects.get(pk=notification.endpoint_id)
        if not endpoint.is_active:
            return False
        payload = {
            "id": delivery_id,
            "event": notification.template,
            "created_at": notification.created_at.isoformat(),
            "data": notification.context,
        }
        backends.send_webhook(
            url=endpoint.url,
            secret=endpoint.secret,
            payload=payload,
            delivery_id=delivery_id,
            event=notification.template,
        )
        return True
    subject, text = render(notification)
    if notification.channel == Channel.EMAIL:
        email = notification.user.email if notification.user_id else ""
        if not email:
            return False
        backends.send_email(to=email, subject=subject, text=text)
        return True
    if notification.channel == Channel.SMS:
        if notification.recipient_key == "customer":
            phone = Complaint.objects.values_list("phone", flat=True).get(
                pk=notification.complaint_id
            )
        else:
            staff = getattr(notification.user, "staff", None)
            phone = staff.phone if staff else ""
        if not _MOBILE.match(phone or ""):
            return False  # A landline cannot take an SMS.
        backends.sms_backend().send(phone=phone, text=text, delivery_id=delivery_id)
        return True
    raise backends.DeliveryError(f"unknown channel {notification.channel}")


def _failed(notification: Notification, exc: Exception) -> str:
    attempts = notification.attempts
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if attempts >= MAX_ATTEMPTS:
        status, outcome = Notification.Status.FAILED, "failed"
        log.error(
            "notification %s failed for good after %d attempts: %s",
            notification.pk,
            attempts,
            error,
        )
    else:
        status, outcome = Notification.Status.PENDING, "retry"
        log.warning("notification %s attempt %d failed: %s", notification.pk, attempts, error)
    Notification.objects.filter(pk=notification.pk, attempts=attempts).update(
        status=status,
        next_attempt_at=timezone.now() + backoff(attempts),
        locked_until=None,
        last_error=error,
    )
    return outcome


def notification_retry(*, notification: Notification, now: datetime | None = None) -> None:
    """Send a message that gave up (status failed) again, from the admin."""
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        locked_until=None,
    )
    transaction.on_commit(kick_delivery)
