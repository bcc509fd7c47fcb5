"""SLA policies as data: which policy applies, the deadlines and events it gives, recompute."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from escalation.models import CalendarYear, EscalationLevel, SlaEvent, SlaPolicy
from escalation.schedule import (
    DEFAULT_NORMAL,
    ComplaintFacts,
    EventKind,
    Policy,
    compute_deadlines,
    scheduled_events,
)
from escalation.sla_deadlines import complaints_recompute
from escalation.sla_policies import PolicyBook, calendar_gaps
from escalation.sweep import sla_sweep
from kernel.clock import SHANGHAI, ClockType, WorkCalendar
from kernel.models import Notice, Notification, WebhookEndpoint
from kernel.outbox.delivery import backoff, notification_deliver, outbox_deliver_due
from tests.conftest import new_complaint

H = timedelta(hours=1)


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- Pure schedule ----------------------------------------------------------------------------

SCHEDULE_CASES = [
    # (case, policy, accepted (Shanghai), timer, expected due (Shanghai), expected warning)
    pytest.param(
        DEFAULT_NORMAL,
        sh(2026, 11, 16, 10),
        "first_response",
        sh(2026, 11, 17, 10),
        sh(2026, 11, 17, 5, 12),
        id="SPEC §4 normal: 24 h first response, warning at 80 % = 19.2 h",
    ),
    pytest.param(
        Policy(2 * H, 12 * H, 2 * H),
        sh(2026, 11, 16, 10),
        "resolution",
        sh(2026, 11, 16, 22),
        sh(2026, 11, 16, 19, 36),
        id="SPEC §4 urgent: 12 h resolution, warning at 9.6 h",
    ),
    pytest.param(
        Policy(
            24 * H,
            72 * H,
            24 * H,
            clock_type=ClockType.BUSINESS_HOURS,
            hours_by_weekday={
                d: (
                    datetime.min.time().replace(hour=8, minute=30),
                    datetime.min.time().replace(hour=18, minute=30),
                )
                for d in range(7)
            },
        ),
        sh(2026, 11, 20, 17, 30),  # Friday 17:30: 1 h left that day, weekend closed
        "first_response",
        sh(2026, 11, 25, 11, 30),  # Fri 1 h + Mon 10 h + Tue 10 h + Wed 3 h
        sh(2026, 11, 24, 16, 42),  # 19.2 h: Fri 1 + Mon 10 + Tue 8.2
        id="business hours 08:30-18:30 on working days: Friday evening rolls past the weekend",
    ),
    pytest.param(
        Policy(24 * H, 72 * H, 24 * H, clock_type=ClockType.WORKING_DAYS),
        sh(2024, 9, 27, 15),  # Friday before National Day; Sunday 29 Sep is a 调休 working day
        "first_response",
        sh(2024, 9, 30, 0),
        sh(2024, 9, 29, 19, 12),
        id="working days: the 调休 Sunday 2024-09-29 counts as the first working day",
    ),
    pytest.param(
        DEFAULT_NORMAL,
        sh(2024, 9, 24, 10),
        "statutory",
        sh(2024, 10, 9, 0),
        sh(2024, 10, 8, 0),
        id="快递暂行条例 7 days: 7th day in National Day → end of 2024-10-08; risk a day before",
    ),
]


@pytest.mark.parametrize(("policy", "accepted", "timer", "due", "warning"), SCHEDULE_CASES)
def test_it_computes_due_times_and_warnings_per_policy(policy, accepted, timer, due, warning):
    facts = ComplaintFacts(accepted_at=accepted.astimezone(UTC), is_open=True, status="accepted")
    deadlines = compute_deadlines(facts, policy, WorkCalendar())
    timers = {t.name: t for t in deadlines.timers}
    assert timers[timer].due_at == due.astimezone(UTC)
    first = next(
        e
        for e in scheduled_events(deadlines, policy, WorkCalendar())
        if e.timer == timer and e.kind in (EventKind.WARNING, EventKind.STATUTORY_RISK)
    )
    assert first.fire_at == warning.astimezone(UTC)


def test_it_pushes_the_resolution_deadline_and_its_warning_out_by_the_pause():
    # SPEC §2: waiting for the customer stops the resolution clock.
    accepted = sh(2026, 11, 16, 10).astimezone(UTC)
    facts = ComplaintFacts(
        accepted_at=accepted, is_open=True, status="verifying", paused_seconds=3 * 3600
    )
    deadlines = compute_deadlines(facts, DEFAULT_NORMAL, WorkCalendar())
    assert deadlines.resolution_due == accepted + 75 * H
    warning = next(
        e
        for e in scheduled_events(deadlines, DEFAULT_NORMAL, WorkCalendar())
        if e.timer == "resolution" and e.kind == EventKind.WARNING
    )
    assert warning.fire_at == accepted + 72 * 0.8 * H + 3 * H


def test_it_schedules_nothing_for_a_closed_complaint():
    facts = ComplaintFacts(
        accepted_at=datetime(2026, 11, 16, tzinfo=UTC), is_open=False, status="closed"
    )
    deadlines = compute_deadlines(facts, DEFAULT_NORMAL, WorkCalendar())
    assert deadlines.next_deadline is None
    assert scheduled_events(deadlines, DEFAULT_NORMAL, WorkCalendar()) == []


# --- Policies in the database ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "channel", "is_external", "expected"),
    [
        ("normal", "phone", False, "一般投诉（默认）"),
        ("urgent", "phone", False, "重大紧急及外部投诉（默认）"),
        ("normal", "regulator", True, "重大紧急及外部投诉（默认）"),  # SPEC §4: external = urgent
        ("normal", "api", False, "接口渠道"),  # a channel policy beats the general one
    ],
)
def test_it_picks_the_most_specific_active_policy(db, priority, channel, is_external, expected):
    SlaPolicy.objects.create(
        name="接口渠道",
        priority="normal",
        channel="api",
        first_response_hours=Decimal("12"),
        resolution_hours=Decimal("48"),
        follow_up_hours=Decimal("24"),
    )
    book = PolicyBook.load()
    policy = book.policy_for(priority=priority, channel=channel, is_external=is_external)
    assert policy.key == expected


def test_it_uses_the_policy_when_a_complaint_is_created(make_complaint, now):
    SlaPolicy.objects.filter(priority="normal").update(first_response_hours=Decimal("12"))
    complaint = make_complaint()
    assert complaint.first_response_due == now + 12 * H
    # The sweep looks again at the first warning: 80 % of 12 h.
    assert complaint.sla_next_check == now + 12 * 0.8 * H


def test_it_recomputes_open_complaints_in_bulk_batches(make_complaint, alice, bob, org, now):
    complaints = [
        make_complaint(tracking_no=f"SF{i:010d}", phone=f"1390000{i:04d}") for i in range(5)
    ]
    closed = services.complaint_withdraw(complaint=complaints[0], by=alice, reason="撤诉", now=now)
    SlaPolicy.objects.filter(priority="normal").update(first_response_hours=Decimal("6"))
    with CaptureQueriesContext(connection) as queries:
        changed = complaints_recompute(now=now, batch_size=2)
    assert changed == 4
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # ceil(4 / 2) batches, one UPDATE each — no save() per row
    for c in complaints[1:]:
        c.refresh_from_db()
        assert c.first_response_due == now + 6 * H
    closed.refresh_from_db()
    assert closed.next_deadline is None


@time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False)
def test_it_warns_about_a_year_nobody_has_filled_in(db):
    # chinesecalendar 1.11 knows up to 2026; December deadlines reach into 2027.
    today = datetime(2026, 12, 1, tzinfo=SHANGHAI).date()
    assert calendar_gaps(today=today) == (2027,)
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    assert calendar_gaps(today=today) == ()


def test_it_shows_the_calendar_warning_in_the_admin(client, sam, db):
    sam.is_staff = True
    sam.save()
    client.force_login(sam)
    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
        response = client.get("/admin/escalation/slapolicy/")
    assert response.status_code == 200
    assert "2027年的法定节假日和调休安排尚未录入" in response.content.decode()


# --- Sweep in process -------------------------------------------------------------------------


def test_it_fires_each_event_once_however_often_the_sweep_runs(make_complaint, bob, org, now):
    complaint = make_complaint(unit_code="A")
    for hours in (1, 20, 20, 24.5, 24.5, 27, 27):
        sla_sweep(now=now + hours * H)
    kinds = list(
        SlaEvent.objects.filter(complaint=complaint)
        .order_by("fired_at", "id")
        .values_list("kind", "level")
    )
    # 19.2 h warning, 24 h breach, +2 h level 1 of the first-response timer.
    assert kinds == [("warning", 0), ("breach", 0), ("escalation", 1)]
    breach = SlaEvent.objects.get(complaint=complaint, kind="breach")
    assert breach.overdue_seconds == 1800  # seen at 24.5 h: breached by half an hour


def test_it_stops_a_timer_once_the_customer_is_reached(make_complaint, alice, bob, org, now):
    complaint = make_complaint(unit_code="A")
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    services.complaint_log_contact(
        complaint=complaint, by=bob, method="phone", summary="已联系客户", now=now + H
    )
    sla_sweep(now=now + 30 * H)
    assert not SlaEvent.objects.filter(complaint=complaint, timer="first_response").exists()


# --- Outbox -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(1, timedelta(seconds=30)), (2, timedelta(minutes=1)), (5, timedelta(minutes=8)), (20, 6 * H)],
)
def test_it_backs_off_exponentially(attempts, delay):
    assert backoff(attempts) == delay


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_it_signs_partner_webhooks_and_retries_failures(receiver, pat, alice, bob, org, now):
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    WebhookEndpoint.objects.create(partner=pat, url=url, secret="s3cret")
    _Receiver.status = 500
    complaint, _code = services.complaint_create(data=new_complaint(), by=pat, now=now)
    hook = Notification.objects.get(channel="webhook", template="complaint.accepted")
    assert notification_deliver(notification_id=hook.pk) == "retry"
    hook.refresh_from_db()
    assert (hook.status, hook.attempts, hook.last_error) == (
        "pending",
        1,
        "DeliveryError: HTTP 500",
    )
    assert hook.next_attempt_at > hook.created_at

    _Receiver.status = 200
    Notification.objects.filter(pk=hook.pk).update(next_attempt_at=now)
    assert notification_deliver(notification_id=hook.pk) == "sent"
    headers, body = _Receiver.received[-1]
    # The partner's check, computed here from the documented recipe (README, "Service-level
    # timers and notifications"; kernel/outbox/backends.py): "sha256=" + the hex HMAC-SHA256
    # of the raw body with the endpoint's secret — not with the product's signing function.
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == expected
    assert headers["X-Delivery-Id"] == str(hook.delivery_id)
    payload = json.loads(body)
    assert payload["event"] == "complaint.accepted"
    assert payload["data"]["ticket_no"] == complaint.ticket_no
    assert "phone" not in payload["data"]
    # Both attempts carried the same delivery id, so the partner can drop the duplicate.
    assert {h["X-Delivery-Id"] for h, _ in _Receiver.received} == {str(hook.delivery_id)}


def test_it_tells_the_customer_without_the_access_code(make_complaint, caplog):
    complaint = make_complaint()
    sms = Notification.objects.get(channel="sms", template="customer_accepted")
    with caplog.at_level("INFO", logger="escalation.delivery"):
        assert notification_deliver(notification_id=sms.pk) == "sent"
    text = caplog.text
    assert complaint.ticket_no in text
    assert "138****0000" in text and "13800000000" not in text  # SPEC §9: masked in logs


def test_it_never_fails_the_request_when_delivery_fails(make_complaint, settings, db):
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "kernel.outbox.backends.HttpSmsBackend"}
    make_complaint()  # The gateway URL is not even configured.
    counts = outbox_deliver_due()
    assert counts == {"retry": 1}
    assert Notification.objects.get(channel="sms").last_error


def test_it_writes_in_app_notices_exactly_once(make_complaint, bob, org, now):
    complaint = make_complaint(unit_code="A")
    sla_sweep(now=now + 20 * H)
    first = outbox_deliver_due(now=now + 21 * H)
    again = outbox_deliver_due(now=now + 21 * H)
    assert first.get("sent", 0) >= 2 and again == {}
    assert Notice.objects.filter(user=bob, complaint_id=complaint.pk, level="warning").count() == 1


def test_it_escalates_level_one_to_the_unit_head(make_complaint, bob, sam, org, now):
    from django.contrib.auth import get_user_model

    head = get_user_model().objects.create_user(username="hank", email="hank@example.invalid")
    org["region"].head = head  # Branch A has no head: the region's head is next up.
    org["region"].save()
    policy = SlaPolicy.objects.get(priority="normal", channel="")
    EscalationLevel.objects.filter(policy=policy, level=1).update(delay_minutes=Decimal("60"))
    make_complaint(unit_code="A")
    sla_sweep(now=now + 25.5 * H)
    level1 = Notification.objects.filter(template="staff_escalation")
    assert {(n.user_id, n.channel) for n in level1} == {(head.pk, "in_app"), (head.pk, "email")}
