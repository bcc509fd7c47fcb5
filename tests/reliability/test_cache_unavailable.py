"""Redis down: the cache answers as an empty cache would, and intake keeps working.

The cache here is the production backend pointed at a loopback port nobody listens on: every
call really fails to connect (no mock), as during `make faults`' Redis outage.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from complaints.models import Complaint
from kernel import resilient_cache

from .conftest import SUBMISSION

pytestmark = pytest.mark.django_db


def test_it_reads_as_a_miss_and_drops_writes_while_redis_is_down(redis_down):
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is True  # the caller goes ahead, as with an empty cache
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")  # "not found", which every caller already handles


class _Clock:
    """The cache state's monotonic clock, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def connection_attempts(monkeypatch):
    """Count the connections redis-py tries to open (each one is refused here)."""
    from redis.connection import AbstractConnection

    attempts = []
    connect = AbstractConnection.connect

    def counted(self, *args, **kwargs):
        attempts.append(1)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "connect", counted)
    return attempts


def test_it_stops_trying_redis_for_a_moment_after_a_failure(
    redis_down, connection_attempts, monkeypatch
):
    clock = _Clock()
    monkeypatch.setattr(resilient_cache, "time", clock)
    cache.get("first")
    assert not resilient_cache.state.available()
    tried = len(connection_attempts)
    assert tried >= 1
    for _ in range(100):
        assert cache.get("again", "fallback") == "fallback"
    assert len(connection_attempts) == tried  # no connection attempt per call
    # After the cool-down the next call tries Redis again.
    clock.now += resilient_cache.COOLDOWN_SECONDS
    assert resilient_cache.state.available()
    cache.get("later")
    assert len(connection_attempts) > tried


def test_it_accepts_a_submission_while_redis_is_down(
    api, redis_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the outbox kick runs too
        response = api.post("/api/v1/complaints/", SUBMISSION, format="json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.filter(ticket_no=response.json()["ticket_no"]).exists()


def test_it_opens_the_rate_limits_instead_of_failing_while_redis_is_down(api, redis_down):
    # The limit is 5/min: with nowhere to count, the 6th and later are let through too.
    statuses = {
        api.post(
            "/api/v1/complaints/",
            {**SUBMISSION, "tracking_no": f"SF12345678{i:02d}"},
            format="json",
        ).status_code
        for i in range(8)
    }
    assert statuses == {201}


@pytest.mark.usefixtures("one_throttle_window")
def test_it_counts_again_when_redis_is_back(api, settings):
    """With the real test Redis the same limit refuses the 6th submission."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submit": "5/min",
        },
    }
    if not settings.CACHES["default"]["BACKEND"].endswith("DegradingRedisCache"):
        pytest.skip("needs Redis (scripts/with-test-services.sh sets REDIS_URL)")
    cache.clear()
    statuses = [
        api.post(
            "/api/v1/complaints/",
            {**SUBMISSION, "tracking_no": f"SF12345679{i:02d}"},
            format="json",
        ).status_code
        for i in range(6)
    ]
    cache.clear()
    assert statuses == [201] * 5 + [429]


def test_it_gives_up_publishing_to_a_dead_broker_at_once(
    settings, dead_redis_url, connection_attempts, monkeypatch
):
    """The outbox kick runs after a web request's commit: with Redis down it must fail fast
    (Kombu's default retries for ~6 s held every web worker during `make faults`)."""
    from kombu import Connection
    from kombu.exceptions import OperationalError as BrokerDown

    sleeps = []
    monkeypatch.setattr("kombu.utils.functional.sleep", sleeps.append, raising=False)
    connection = Connection(dead_redis_url, transport_options=settings.BROKER_PUBLISH_FAIL_FAST)
    with pytest.raises(BrokerDown):
        connection.default_channel  # noqa: B018 (connects)
    connection.release()
    # One try and one retry (max_retries 1), with no wait before the retry: failing fast is a
    # count of attempts and waits, not a time measured on a busy machine (that is in
    # benchmarks/bench_fail_fast.py).
    assert 1 <= len(connection_attempts) <= 2
    assert sum(sleeps) == 0
