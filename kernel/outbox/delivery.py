"""The notification outbox: queue messages with their event, deliver them with retries.

Written in the transaction of what caused it (never lost), delivered after commit by Celery
with backoff; a conditional claim means two workers never send one message.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from kernel import outbox
from kernel.models import Channel, Notice, Notification
from kernel.outbox import backends

log = logging.getLogger(__name__)


# A send that has not finished after this long is taken to have died with its worker
# (OUTBOX["SEND_LEASE_SECONDS"]: far above one HTTP send's 10 s timeout).
def send_lease() -> timedelta:
    return timedelta(seconds=float(settings.OUTBOX["SEND_LEASE_SECONDS"]))


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

    from kernel.tasks import deliver_outbox

    # One kick a second is enough: a delivery run takes every due row, and the minute
    # catch-up takes what a skipped kick would have. (A flood of kicks would queue the sweep
    # behind them on the development filesystem broker.) This process remembers its own last
    # kick, so a busy worker asks the shared cache at most once a second, not per request.
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 1:
        return
    _last_kick = now
    if not cache.add("outbox:kick", 1, timeout=1):
        return
    try:
        # No publish retries inside a web request (Kombu retries with back-off by default):
        # when the broker is down, the minute catch-up delivers instead.
        deliver_outbox.apply_async(retry=False)
    except Exception:  # never fail the caller: the outbox row is committed
        log.warning("could not reach the broker; the outbox catch-up will deliver", exc_info=True)


# --- Rendering ------------------------------------------------------------------------------


def render(notification: Notification) -> tuple[str, str]:
    """Return (subject, text) from the Chinese template messages/<template>.txt.

    The first line of the template is the subject, the rest the text. Each app keeps the
    templates of the messages it queues in its own templates/messages/.
    """
    # Loaded with the message when it is delivered (_load); fetched when a single message is
    # rendered elsewhere.
    if not hasattr(notification, "subject"):
        notification.subject = outbox.subjects([notification.complaint_id]).get(
            notification.complaint_id
        )
    context = dict(notification.context)
    if context.get("due_at"):
        context["due_at"] = datetime.fromisoformat(context["due_at"])
    overdue = int(context.get("overdue_seconds") or 0)
    context["overdue"] = _duration_text(overdue)
    context.update(outbox.context_additions(notification.context))
    context["complaint"] = notification.subject
    rendered = render_to_string(f"messages/{notification.template}.txt", context)
    lines = [line.rstrip() for line in rendered.strip().splitlines()]
    subject = lines[0] if lines else ""
    text = "\n".join(line for line in lines[1:] if line).strip()
    return subject, text or subject


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
#
# A run claims the due messages a chunk at a time: one UPDATE … RETURNING takes up to CHUNK rows
# (SKIP LOCKED: two workers never take the same row, nor wait for each other), one query loads
# them with their complaint, recipient and endpoint, the sends share one kept-alive connection
# per gateway, and one UPDATE marks what was sent. The claim is a lease (locked_until): a row
# whose worker died mid-send is taken again once it expires, and every write-back is guarded by
# the lease it was claimed with, so a late worker never overwrites a newer claim. In-app notices
# are claimed, written and marked in one transaction, so they appear exactly once.

CHUNK = 100
# A run stops starting sends after this long (the task's soft time limit is 120 s).
RUN_BUDGET_SECONDS = 60
# Outcomes are written after this many sends or this long, whichever comes first: a worker
# killed mid-chunk re-sends at most that many messages (with their delivery ids) after the lease.
MARK_EVERY_MESSAGES = 25
MARK_EVERY_SECONDS = 0.5

_DELIVERY_RELATED = ("endpoint", "user")


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver up to `limit` messages that are due (kicked after commits, and every minute)."""
    counts: Counter[str] = Counter()
    began = time.monotonic()
    unreachable: set[str] = set()  # gateways that refused a connection during this run
    with backends.keep_alive():
        while counts.total() < limit and time.monotonic() - began < RUN_BUDGET_SECONDS:
            size = min(CHUNK, limit - counts.total())
            done = _deliver_chunk(
                now or timezone.now(),
                size,
                deadline=began + RUN_BUDGET_SECONDS,
                unreachable=unreachable,
            )
            counts.update(done)
            if done.total() < size:
                break  # the chunk came up short: nothing else is due
    return dict(counts)


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one message now; return "sent", "retry", "failed", "skipped" or "taken"."""
    now = timezone.now()

    def claim() -> list[int]:
        return [notification_id] if _claim(notification_id, now) == 1 else []

    counts = _deliver_claimed(claim, now, deadline=None, unreachable=set())
    if not counts:
        return "taken"
    (outcome,) = counts.elements()
    return outcome


def _claim(notification_id: int, now: datetime) -> int:
    """Take one row for one attempt; 0 when another worker has it or it is not due."""
    return (
        _due(now)
        .filter(pk=notification_id)
        .update(
            status=Notification.Status.SENDING,
            attempts=F("attempts") + 1,
            locked_until=now + send_lease(),
        )
    )


def _due(now: datetime):
    return Notification.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
        next_attempt_at__lte=now,
    )


def _claim_chunk(now: datetime, size: int) -> list[int]:
    """Take up to `size` due rows, oldest due first, in one statement; return their ids."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    # `= ANY(ARRAY(subquery))`, not `IN (subquery)`: the ARRAY is computed once, while a
    # planner that rescans an IN subquery (statistics change as the table grows) may run its
    # LIMIT … SKIP LOCKED again and claim more than `size` rows in one statement.
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, locked_until = %s "  # nosec B608  # the model's table; values are parameters
        f"WHERE id = ANY(ARRAY(SELECT id FROM {table} "
        "WHERE status IN (%s, %s) AND next_attempt_at <= %s "
        "AND (locked_until IS NULL OR locked_until < %s) "
        "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED)) RETURNING id"
    )
    params = [
        Notification.Status.SENDING,
        adapt(now + send_lease()),
        Notification.Status.PENDING,
        Notification.Status.SENDING,
        adapt(now),
        adapt(now),
        size,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _load(ids: list[int]) -> list[Notification]:
    """The claimed rows with what their messages need: one query, and one per kind of address."""
    rows = list(
        Notification.objects.filter(pk__in=ids)
        .select_related(*_DELIVERY_RELATED)
        .order_by("next_attempt_at", "id")
    )
    subjects = outbox.subjects(n.complaint_id for n in rows)
    phones = outbox.staff_phones(
        n.user_id for n in rows if n.channel == Channel.SMS and n.recipient_key != "customer"
    )
    for notification in rows:
        notification.subject = subjects.get(notification.complaint_id)
        notification.staff_phone = phones.get(notification.user_id, "")
    return rows


def _write_notices(rows: list[Notification], now: datetime) -> None:
    notices = []
    for notification in rows:
        subject, text = render(notification)
        notices.append(
            Notice(
                user_id=notification.user_id,
                notification=notification,
                complaint_id=notification.complaint_id,
                level=notification.context.get("kind", "info"),
                title=subject[:120],
                body=text,
                created_at=notification.created_at,
            )
        )
    Notice.objects.bulk_create(notices)
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
        status=Notification.Status.SENT, sent_at=now, locked_until=None
    )


def _deliver_chunk(
    now: datetime, size: int, *, deadline: float, unreachable: set[str]
) -> Counter[str]:
    return _deliver_claimed(
        lambda: _claim_chunk(now, size), now, deadline=deadline, unreachable=unreachable
    )


def _deliver_claimed(
    claim, now: datetime, *, deadline: float | None, unreachable: set[str]
) -> Counter[str]:
    """Claim (one row or a chunk), write its in-app notices, send the rest."""
    # In-app notices are written in the claiming transaction: exactly one notice each, as a
    # notice either commits with its claim or neither happened. The rest are sent after it.
    with transaction.atomic():
        ids = claim()
        if not ids:
            return Counter()
        rows = _load(ids)
        in_app = [n for n in rows if n.channel == Channel.IN_APP]
        if in_app:
            _write_notices(in_app, now)
    others = [n for n in rows if n.channel != Channel.IN_APP]
    return Counter(sent=len(in_app)) + _send_claimed(
        others, deadline=deadline, unreachable=unreachable
    )


def _send_claimed(
    rows: list[Notification], *, deadline: float | None, unreachable: set[str]
) -> Counter[str]:
    """Send claimed rows one by one; write the outcomes back in few statements."""
    counts: Counter[str] = Counter()
    marks = _Marks()
    for index, notification in enumerate(rows):
        host = _host(notification)
        # Past the run's budget, or the gateway refused this run already: hand the rest back
        # untouched (the attempt is not counted) instead of holding them until the lease ends.
        if (deadline is not None and time.monotonic() > deadline) or host in unreachable:
            marks.release(notification, later=host in unreachable)
            counts["deferred"] += 1
            continue
        try:
            sent = _send(notification)
        except Exception as exc:  # any failure is retried, never raised to callers
            if isinstance(exc, backends.GatewayUnreachable) and host:
                unreachable.add(host)
            counts[_failed(notification, exc)] += 1
            continue
        marks.done(notification, sent)
        counts["sent" if sent else "skipped"] += 1
        if marks.due() or index == len(rows) - 1:
            marks.flush()
    marks.flush()
    return counts


def _host(notification: Notification) -> str:
    """Which gateway a message goes through (for giving up on one that refuses)."""
    if notification.channel == Channel.WEBHOOK and notification.endpoint_id:
        return urlsplit(notification.endpoint.url).netloc
    if notification.channel == Channel.SMS:
        return "sms"
    return ""


class _Marks:
    """Outcomes waiting to be written: one UPDATE per kind, guarded by each row's lease."""

    def __init__(self):
        self.sent: list[Notification] = []
        self.skipped: list[Notification] = []
        self.released: list[tuple[Notification, bool]] = []
        self.last = time.monotonic()

    def done(self, notification: Notification, sent: bool) -> None:
        (self.sent if sent else self.skipped).append(notification)

    def release(self, notification: Notification, *, later: bool) -> None:
        self.released.append((notification, later))

    def due(self) -> bool:
        return (
            len(self.sent) + len(self.skipped) >= MARK_EVERY_MESSAGES
            or time.monotonic() - self.last >= MARK_EVERY_SECONDS
        )

    def flush(self) -> None:
        now = timezone.now()
        for status, rows in (
            (Notification.Status.SENT, self.sent),
            (Notification.Status.SKIPPED, self.skipped),
        ):
            for lease, ids in _by_lease(rows).items():
                Notification.objects.filter(pk__in=ids, locked_until=lease).update(
                    status=status, sent_at=now, locked_until=None, last_error=""
                )
        for later in (False, True):
            rows = [n for n, wait in self.released if wait is later]
            for lease, ids in _by_lease(rows).items():
                Notification.objects.filter(pk__in=ids, locked_until=lease).update(
                    status=Notification.Status.PENDING,
                    attempts=F("attempts") - 1,
                    locked_until=None,
                    next_attempt_at=now + BACKOFF_BASE if later else now,
                )
        self.sent, self.skipped, self.released = [], [], []
        self.last = time.monotonic()


def _by_lease(rows: list[Notification]) -> dict[datetime, list[int]]:
    groups: dict[datetime, list[int]] = {}
    for notification in rows:
        groups.setdefault(notification.locked_until, []).append(notification.pk)
    return groups


def _send(notification: Notification) -> bool:
    """Send through the channel's backend; False when there is nobody to send to any more."""
    from kernel.privacy import is_mobile

    delivery_id = str(notification.delivery_id)
    if notification.channel == Channel.WEBHOOK:
        endpoint = notification.endpoint
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
            phone = notification.subject.phone if notification.subject is not None else ""
        else:
            phone = notification.staff_phone
        if not is_mobile(phone or ""):
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
    Notification.objects.filter(pk=notification.pk, locked_until=notification.locked_until).update(
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
