"""The outbox delivers in chunks: one claim, one load and one mark per chunk, a kept connection.

What must hold however the work is cut: each message is sent once per attempt, two workers
never take the same row, a worker whose lease ran out cannot overwrite the next one's claim,
and a gateway that does not answer costs one attempt per run, not one per message.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, connections, reset_queries, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel.models import Notification
from kernel.outbox import delivery as outbox
from kernel.outbox.delivery import _claim_chunk, _load, _send_claimed, outbox_deliver_due
from tests.conftest import NOW, new_complaint


class _Gateway(BaseHTTPRequestHandler):
    """An SMS gateway speaking HTTP/1.1: counts connections and records delivery ids."""

    protocol_version = "HTTP/1.1"
    received: list[str] = []
    connections = 0
    drop_after_answer = False  # close the socket without saying so (a stale keep-alive)

    def setup(self):
        super().setup()
        type(self).connections += 1

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(self.headers["X-Delivery-Id"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if self.drop_after_answer:
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    _Gateway.received, _Gateway.connections, _Gateway.drop_after_answer = [], 0, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.OUTBOX = {
        **settings.OUTBOX,
        "SMS_BACKEND": "kernel.outbox.backends.HttpSmsBackend",
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/sms",
    }
    yield _Gateway
    server.shutdown()
    server.server_close()


def _customer_messages(make_complaint, count: int) -> list[int]:
    """`count` complaints without a unit: one customer SMS each."""
    for i in range(count):
        make_complaint(tracking_no=f"SF9{i:09d}", phone=f"139{i:08d}")
    return list(
        Notification.objects.filter(channel="sms").order_by("id").values_list("id", flat=True)
    )


@pytest.mark.django_db
def test_a_run_sends_each_due_message_once_over_one_kept_connection(make_complaint, gateway):
    ids = _customer_messages(make_complaint, 30)
    assert outbox_deliver_due(now=NOW) == {"sent": 30}
    sent = Notification.objects.filter(pk__in=ids)
    assert sorted(gateway.received) == sorted(
        str(d) for d in sent.values_list("delivery_id", flat=True)
    )
    assert gateway.connections == 1
    assert set(sent.values_list("status", "attempts", "locked_until")) == {("sent", 1, None)}
    assert outbox_deliver_due(now=NOW) == {}
    assert len(gateway.received) == 30


def _kind(sql: str) -> str:
    """What a statement of a delivery run is for."""
    table = Notification._meta.db_table
    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
        return "transaction"
    if sql.startswith(f'UPDATE "{table}" SET status') and "RETURNING id" in sql:
        return "claim"
    if sql.startswith("SELECT") and f'FROM "{table}"' in sql:
        return "load"
    if sql.startswith("SELECT") and 'FROM "complaints_complaint"' in sql:
        return "subjects"
    if sql.startswith(f'UPDATE "{table}"'):
        return "mark"
    return sql[:80]


@pytest.mark.django_db
def test_a_run_costs_one_claim_and_one_load_per_chunk_and_one_mark_per_25_sent(
    make_complaint, gateway, monkeypatch
):
    # Outcomes are also written every MARK_EVERY_SECONDS: a slow machine would add marks.
    # This test is about the count, so the clock never calls for one.
    monkeypatch.setattr(outbox, "MARK_EVERY_SECONDS", 3600.0)

    def statements(count: int) -> Counter[str]:
        Notification.objects.all().delete()
        _customer_messages(make_complaint, count)
        # Read off the connection's query log, which keeps 9 000 entries: from an empty log,
        # so a log filled before (by whatever logged) cannot cut the count short.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            assert outbox_deliver_due(now=NOW) == {"sent": count}
        kinds = Counter(_kind(q["sql"]) for q in queries.captured_queries)
        del kinds["transaction"]  # the chunk's savepoint and release: the test's transaction
        return kinds

    def run(chunks: int, marks: int) -> Counter[str]:
        # The claim, the load and the load of what the messages are about (the complaints, by
        # the loader complaints registers) in one transaction per chunk, then the marks.
        return Counter(claim=chunks, load=chunks, subjects=chunks, mark=marks)

    assert outbox.MARK_EVERY_MESSAGES == 25
    assert statements(5) == run(chunks=1, marks=1)
    assert statements(25) == run(chunks=1, marks=1)
    assert statements(40) == run(chunks=1, marks=2)
    # Two chunks (100 and 50): twice the claim and loads; a mark per 25 sent of each.
    assert statements(150) == run(chunks=2, marks=4 + 2)


@pytest.mark.django_db
def test_a_connection_the_gateway_closed_is_opened_again_and_nothing_is_lost(
    make_complaint, gateway
):
    gateway.drop_after_answer = True
    ids = _customer_messages(make_complaint, 5)
    assert outbox_deliver_due(now=NOW) == {"sent": 5}
    assert len(gateway.received) == len(set(gateway.received)) == 5
    assert gateway.connections == 5
    assert not Notification.objects.filter(pk__in=ids).exclude(status="sent").exists()


@pytest.mark.django_db
def test_a_gateway_that_does_not_answer_costs_one_attempt_per_run(make_complaint, settings):
    with socket_nobody_listens_on() as port:
        settings.OUTBOX = {
            **settings.OUTBOX,
            "SMS_BACKEND": "kernel.outbox.backends.HttpSmsBackend",
            "SMS_GATEWAY_URL": f"http://127.0.0.1:{port}/sms",
        }
        ids = _customer_messages(make_complaint, 5)
        before = timezone.now()
        assert outbox_deliver_due(now=NOW) == {"retry": 1, "deferred": 4}
    rows = list(Notification.objects.filter(pk__in=ids).order_by("id"))
    tried, waiting = rows[0], rows[1:]
    assert (tried.status, tried.attempts) == ("pending", 1)
    assert tried.last_error.startswith("GatewayUnreachable: 连接失败")
    # The others were never sent: their attempt is not counted, and they wait as long as the
    # first retry instead of being taken again at once.
    for row in waiting:
        assert (row.status, row.attempts, row.locked_until, row.last_error) == (
            "pending",
            0,
            None,
            "",
        )
        assert row.next_attempt_at >= before + outbox.BACKOFF_BASE


@pytest.mark.django_db
def test_past_its_time_budget_a_run_hands_back_what_it_has_not_sent(make_complaint, gateway):
    ids = _customer_messages(make_complaint, 3)
    claimed = _claim_chunk(NOW, 10)
    assert sorted(claimed) == ids
    counts = _send_claimed(_load(claimed), deadline=time.monotonic() - 1, unreachable=set())
    assert counts == {"deferred": 3}
    assert gateway.received == []
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", "attempts")) == {
        ("pending", 0)
    }
    assert outbox_deliver_due(now=timezone.now()) == {"sent": 3}


@pytest.mark.django_db
def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_next_claim(
    make_complaint, gateway, settings
):
    settings.OUTBOX = {**settings.OUTBOX, "SEND_LEASE_SECONDS": 20}
    ids = _customer_messages(make_complaint, 2)
    slow = _load(_claim_chunk(NOW, 10))
    # The first worker stalls past its lease; a second one takes the rows.
    later = NOW + timedelta(seconds=21)
    assert sorted(_claim_chunk(later, 10)) == ids
    _send_claimed(slow, deadline=None, unreachable=set())  # it wakes up and sends anyway
    rows = Notification.objects.filter(pk__in=ids)
    # Its outcome is not written over the second claim: the rows are still the second's.
    assert set(rows.values_list("status", "attempts", "locked_until")) == {
        ("sending", 2, later + timedelta(seconds=20))
    }
    _send_claimed(_load(ids), deadline=None, unreachable=set())
    assert set(rows.values_list("status", "locked_until")) == {("sent", None)}
    # At least once, with the delivery id the gateway drops repeats by.
    assert len(gateway.received) == 4 and len(set(gateway.received)) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_claim_different_rows_without_waiting_for_each_other(alice):
    from complaints import services

    for i in range(20):
        services.complaint_create(
            data=new_complaint(tracking_no=f"SF8{i:09d}", phone=f"137{i:08d}"), by=alice, now=NOW
        )
    first_claimed = threading.Event()
    release = threading.Event()
    taken: dict[str, list[int]] = {}

    def first_worker():
        try:
            with transaction.atomic():  # holds its row locks until the block ends
                taken["first"] = _claim_chunk(NOW, 10)
                first_claimed.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert first_claimed.wait(10)
    try:
        # SKIP LOCKED: the second worker never waits for the first one's rows. Were it to
        # queue behind them (they stay locked until `release`), the lock timeout would end
        # its claim with an error: a wait fails this test however fast or slow the machine.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            taken["second"] = _claim_chunk(NOW, 10)
    finally:
        release.set()
        thread.join(10)
    assert len(taken["first"]) == len(taken["second"]) == 10
    assert not set(taken["first"]) & set(taken["second"])


class socket_nobody_listens_on:
    """A local port with nothing behind it: connections are refused at once."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        return self.port

    def __exit__(self, *exc):
        return False
