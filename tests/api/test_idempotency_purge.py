"""Idempotency keys are forgotten after their retention (24 h), in bounded batches, hourly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.api import tasks
from complaints.api.idempotency import idempotency_keys_purge
from complaints.api.models import IdempotencyKey
from complaints.models import Complaint

from .conftest import SUBMISSION

URL = "/api/v1/complaints/"


def submit_at(api, at, key):
    with time_machine.travel(at, tick=False):
        response = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.json()
    return response


def keys_at(now, *ages_in_hours):
    """Key rows created `age` hours before `now` (no complaint needed for the purge)."""
    IdempotencyKey.objects.bulk_create(
        IdempotencyKey(
            client="addr:127.0.0.1",
            key_hash=f"{index:064x}",
            request_hash="0" * 64,
            created_at=now - timedelta(hours=age),
        )
        for index, age in enumerate(ages_in_hours)
    )


def remaining_ages(now):
    return sorted(
        round((now - created).total_seconds() / 3600, 2)
        for created in IdempotencyKey.objects.values_list("created_at", flat=True)
    )


def test_it_keeps_a_key_for_24_hours_and_forgets_it_after(api, db, now):
    submit_at(api, now, "order-1")
    with time_machine.travel(now + timedelta(hours=23, minutes=59), tick=False):
        assert idempotency_keys_purge() == 0
        replay = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert replay["Idempotent-Replayed"] == "true"
    with time_machine.travel(now + timedelta(hours=24, seconds=1), tick=False):
        assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()
    assert Complaint.objects.count() == 1  # the complaint itself stays


@pytest.mark.parametrize(
    ("after", "replayed"),
    [
        pytest.param(timedelta(hours=24) - timedelta(seconds=1), True, id="24h-minus-1s"),
        pytest.param(timedelta(hours=24), True, id="exactly-24h"),
        pytest.param(timedelta(hours=24, seconds=1), False, id="24h-plus-1s"),
    ],
)
def test_the_key_protects_for_24_hours_to_the_second_purged_or_not(api, db, now, after, replayed):
    # No purge has run: the retention is the key's, not the purge task's schedule.
    first = submit_at(api, now, "order-1").json()
    retry = submit_at(api, now + after, "order-1")
    assert (retry.get("Idempotent-Replayed") == "true") is replayed
    assert (retry.json()["ticket_no"] == first["ticket_no"]) is replayed
    assert Complaint.objects.count() == (1 if replayed else 2)
    assert IdempotencyKey.objects.count() == 1  # the expired key gave way to the new one


def test_it_treats_a_retry_after_the_retention_as_a_new_submission(api, db, now):
    first = submit_at(api, now, "order-1").json()
    with time_machine.travel(now + timedelta(hours=25), tick=False):
        idempotency_keys_purge()
    again = submit_at(api, now + timedelta(hours=25), "order-1")
    assert "Idempotent-Replayed" not in again
    assert again.json()["ticket_no"] != first["ticket_no"]
    assert Complaint.objects.count() == 2


def test_it_deletes_only_keys_older_than_the_configured_retention(db, now, settings):
    settings.API_IDEMPOTENCY_RETENTION_HOURS = 2
    keys_at(now, 0, 1.5, 2.5, 30)
    assert idempotency_keys_purge(now=now) == 2
    assert remaining_ages(now) == [0, 1.5]


def test_it_deletes_in_bounded_batches_one_statement_each(db, now):
    keys_at(now, 25, 26, 27, 28, 29, 1)
    with CaptureQueriesContext(connection) as queries:
        assert idempotency_keys_purge(now=now, batch=2) == 5
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    # 2 + 2 + 1: the short last batch ends the run, without a fourth statement.
    assert len(deletes) == 3
    assert all("LIMIT 2" in sql for sql in deletes)
    assert remaining_ages(now) == [1]


def test_it_deletes_the_oldest_first_and_stops_at_its_time_budget(db, now):
    keys_at(now, 25, 40, 30, 50, 1)
    assert idempotency_keys_purge(now=now, batch=2, time_budget=0) == 2
    assert remaining_ages(now) == [1, 25, 30]  # 50 h and 40 h went first
    assert idempotency_keys_purge(now=now, batch=2, time_budget=0) == 2
    assert remaining_ages(now) == [1]


def test_it_finds_old_keys_by_an_index_on_the_creation_time(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, IdempotencyKey._meta.db_table
        )
    assert any(c["index"] and c["columns"] == ["created_at"] for c in constraints.values())


def test_it_runs_the_purge_hourly_from_the_beat(db, now):
    entry = settings.CELERY_BEAT_SCHEDULE["api-purge-idempotency-keys"]
    assert entry["task"] == tasks.purge_idempotency_keys.name
    assert entry["schedule"] == 3600
    keys_at(now, 1, 48)
    with time_machine.travel(now, tick=False):
        assert tasks.purge_idempotency_keys.apply().get() == 1
    assert remaining_ages(now) == [1]
