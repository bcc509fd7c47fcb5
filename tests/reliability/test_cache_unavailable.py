"""Redis down: the cache answers as an empty cache would, and intake keeps working.

The cache here is the production backend pointed at a loopback port nobody listens on: every
call really fails to connect (no mock), as during `make faults`' Redis outage.
"""

from __future__ import annotations

import time

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


def test_it_stops_trying_redis_for_a_moment_after_a_failure(redis_down):
    cache.get("first")
    assert not resilient_cache.state.available()
    started = time.monotonic()
    for _ in range(100):
        cache.get("again")
    assert time.monotonic() - started < 0.5  # no connection attempt per call


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


def test_it_gives_up_publishing_to_a_dead_broker_at_once(settings, dead_redis_url):
    """The outbox kick runs after a web request's commit: with Redis down it must fail fast
    (Kombu's default retries for ~6 s held every web worker during `make faults`)."""
    from kombu import Connection
    from kombu.exceptions import OperationalError as BrokerDown

    connection = Connection(dead_redis_url, transport_options=settings.BROKER_PUBLISH_FAIL_FAST)
    started = time.monotonic()
    with pytest.raises(BrokerDown):
        connection.default_channel  # noqa: B018 (connects)
    assert time.monotonic() - started < 1.5
    connection.release()
