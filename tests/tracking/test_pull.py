"""Pulling from the TMS: owed at acceptance and dispatch, done by a worker, retried with backoff
behind a circuit breaker; intake never waits on it. The TMS here is the demo simulator serving
on a Unix socket (tests/tracking/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from kernel.db import prepared
from tracking import pull
from tracking.models import BreakerState, PullJob, ScanEvent, Waybill

from .conftest import hours, journey_events

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def test_accepting_a_complaint_owes_a_pull_in_the_same_write_round_trip(make_complaint, now):
    with CaptureQueriesContext(connection) as queries:
        make_complaint(tracking_no="SF500")
    statements = [prepared.readable(q["sql"]) for q in queries.captured_queries]
    # The complaint, its audit row, its messages and the pull: one statement.
    (write,) = [s for s in statements if s.startswith("INSERT") and 'complaints_complaint"' in s]
    assert 'INSERT INTO "tracking_pulljob"' in write
    job = PullJob.objects.get(waybill="SF500")
    assert (job.reason, job.status, job.next_attempt_at) == ("accepted", "pending", now)


def test_a_second_complaint_on_the_waybill_adds_no_second_pending_pull(make_complaint):
    make_complaint(tracking_no="SF501", phone="13900000001")
    make_complaint(tracking_no="SF501", phone="13900000002")
    assert PullJob.objects.filter(waybill="SF501").count() == 1


def test_a_dispatch_by_a_person_owes_another_pull(make_complaint, alice, org, now):
    complaint = make_complaint(tracking_no="SF502")
    PullJob.objects.update(status=PullJob.Status.DONE)
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    assert PullJob.objects.filter(waybill="SF502", status="pending", reason="dispatched").exists()


def test_a_worker_pulls_the_journey_and_stores_it(tms, make_complaint, now):
    tms.add("SF503", journey_events("SF503", now - hours(40)), promised_at=now - hours(10))
    make_complaint(tracking_no="SF503")
    assert pull.run_due(now=now) == {"pulled": 1, "retry": 0, "failed": 0, "deferred": 0}
    assert ScanEvent.objects.filter(waybill="SF503", source="pull").count() == 10
    waybill = Waybill.objects.get(pk="SF503")
    assert waybill.last_pulled_at == now and waybill.promised_at == now - hours(10)
    assert PullJob.objects.get(waybill="SF503").status == "done"
    # Pulled again (the dispatch): nothing stored twice.
    pull.request_pull("SF503", reason="dispatched", now=now)
    pull.run_due(now=now)
    assert ScanEvent.objects.filter(waybill="SF503").count() == 10


def test_a_waybill_the_tms_does_not_know_is_remembered_as_such(tms, now):
    pull.request_pull("SF404", reason="lookup", now=now)
    assert pull.run_due(now=now)["pulled"] == 1
    assert Waybill.objects.get(pk="SF404").unknown_to_tms


def test_a_tms_that_is_down_means_retries_with_backoff(tms, now):
    tms.stop()
    pull.request_pull("SF505", reason="accepted", now=now)
    assert pull.run_due(now=now)["retry"] == 1
    job = PullJob.objects.get(waybill="SF505")
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.next_attempt_at == now + timedelta(seconds=30)
    assert "Error" in job.last_error
    assert pull.run_due(now=now)["retry"] == 0  # not due before its backoff
    pull.run_due(now=now + timedelta(seconds=30))
    assert PullJob.objects.get(waybill="SF505").next_attempt_at == now + timedelta(seconds=90)


def test_a_slow_tms_times_out_and_is_retried(tms, now, settings):
    tms.add("SF506", journey_events("SF506", now - hours(40)))
    tms.set_delay(2.0)  # the pull's timeout is 1 s here
    pull.request_pull("SF506", reason="accepted", now=now)
    assert pull.run_due(now=now)["retry"] == 1
    assert "timed out" in PullJob.objects.get(waybill="SF506").last_error
    tms.set_delay(0)
    pull.run_due(now=now + timedelta(minutes=1))
    assert ScanEvent.objects.filter(waybill="SF506").count() == 10


def test_the_breaker_opens_after_repeated_failures_and_jobs_wait_uncounted(tms, now, settings):
    settings.TRACKING = {**settings.TRACKING, "BREAKER_FAILURES": 3, "BREAKER_COOLDOWN_SECONDS": 60}
    tms.stop()
    for n in range(5):
        pull.request_pull(f"SF6{n:02d}", reason="accepted", now=now)
    counts = pull.run_due(now=now)
    # Three failures open the breaker; the other two jobs are handed back, attempts not counted.
    assert counts == {"pulled": 0, "retry": 3, "failed": 0, "deferred": 2}
    breaker = BreakerState.objects.get(name="tms")
    assert breaker.state == "open" and breaker.open_until == now + timedelta(seconds=60)
    waiting = PullJob.objects.filter(attempts=0)
    assert waiting.count() == 2
    assert {j.next_attempt_at for j in waiting} == {now + timedelta(seconds=60)}


def test_after_the_cooldown_one_probe_closes_the_breaker(tms, now, settings):
    settings.TRACKING = {**settings.TRACKING, "BREAKER_FAILURES": 1, "BREAKER_COOLDOWN_SECONDS": 60}
    tms.add("SF700", journey_events("SF700", now - hours(40)))
    BreakerState.objects.create(name="tms", state="open", failures=1, open_until=now)
    pull.request_pull("SF700", reason="accepted", now=now)
    assert pull.run_due(now=now)["pulled"] == 1
    assert BreakerState.objects.get(name="tms").state == "closed"


def test_a_job_gives_up_after_the_last_attempt(tms, now, settings):
    settings.TRACKING = {**settings.TRACKING, "PULL_MAX_ATTEMPTS": 2, "BREAKER_FAILURES": 100}
    tms.stop()
    pull.request_pull("SF800", reason="accepted", now=now)
    pull.run_due(now=now)
    assert pull.run_due(now=now + timedelta(hours=1))["failed"] == 1
    assert PullJob.objects.get(waybill="SF800").status == "failed"


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(tms, now):
    tms.add("SF801", journey_events("SF801", now - hours(40)))
    pull.request_pull("SF801", reason="accepted", now=now)
    PullJob.objects.update(status="running", attempts=1, locked_until=now + timedelta(minutes=2))
    assert pull.run_due(now=now)["pulled"] == 0  # still leased
    assert pull.run_due(now=now + timedelta(minutes=3))["pulled"] == 1


def test_a_burst_of_submissions_asks_the_shared_cache_at_most_twice_a_second(monkeypatch):
    """Each process asks Redis for the 'now' and the 'later' slot at most once a second.

    The 'later' slot was asked on every submission after the first of a second: a Redis round
    trip per request on the hot path (issue 25). 200 kicks within one second reach the cache
    twice and publish two pull tasks; a second later the next kick asks again.
    """
    from types import SimpleNamespace

    from django.core.cache import cache

    from tracking.tasks import pull_due

    clock = [1000.0]
    monkeypatch.setattr(pull, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(pull, "_last_kick", float("-inf"))
    monkeypatch.setattr(pull, "_last_later", float("-inf"))
    cache.delete_many(["tracking:kick", "tracking:kick:later"])
    asked, published = [], []
    real_add = cache.add

    def add(key, *args, **kwargs):
        asked.append(key)
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", add)
    monkeypatch.setattr(pull_due, "apply_async", lambda **kw: published.append(kw["countdown"]))
    for step in range(200):
        clock[0] = 1000.0 + step * 0.004  # 200 submissions within 0.8 s
        pull.kick()
    assert asked == ["tracking:kick", "tracking:kick:later"]
    assert published == [None, 1]

    cache.delete_many(["tracking:kick", "tracking:kick:later"])  # their 1 s timeouts passed
    clock[0] = 1001.5
    pull.kick()
    assert asked[2:] == ["tracking:kick"]
    assert published[2:] == [None]
