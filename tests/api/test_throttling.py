"""Public endpoints are rate-limited per client address, in the shared cache (Redis here)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache

from .conftest import SUBMISSION, token_client

URL = "/api/v1/complaints/"


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_the_tests_count_in_redis():
    # make test starts Redis and sets REDIS_URL: the throttles share it like production workers.
    assert django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


@pytest.mark.usefixtures("one_throttle_window")
def test_it_answers_too_many_submissions_with_429_and_retry_after(api, db, settings):
    _rates(settings, submit="2/min")
    statuses = [api.post(URL, SUBMISSION, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    response = api.post(URL, SUBMISSION, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    error = response.json()["error"]
    assert error["code"] == "throttled" and "请求过于频繁" in error["message"]


@pytest.mark.usefixtures("one_throttle_window")
def test_it_counts_each_address_separately(api, db, settings):
    _rates(settings, submit="1/min")
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.1").status_code == 201
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.2").status_code == 201
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.1").status_code == 429


@pytest.mark.usefixtures("one_throttle_window")
def test_it_gives_partners_their_own_budget(api, pat, settings):
    _rates(settings, submit="1/min", partner="3/min")
    assert api.post(URL, SUBMISSION, format="json").status_code == 201
    assert api.post(URL, SUBMISSION, format="json").status_code == 429
    partner = token_client(pat)
    assert [partner.post(URL, SUBMISSION, format="json").status_code for _ in range(4)] == [
        201,
        201,
        201,
        429,
    ]


def test_it_counts_in_windows_of_the_clock_and_not_refused_requests(api, db, settings):
    _rates(settings, submit="4/min")
    with time_machine.travel(datetime(2026, 11, 16, 2, 0, 45, tzinfo=UTC), tick=False) as clock:
        assert [api.post(URL, SUBMISSION, format="json").status_code for _ in range(6)] == [
            201,
            201,
            201,
            201,
            429,
            429,
        ]
        refused = api.post(URL, SUBMISSION, format="json")
        assert int(refused["Retry-After"]) == 15  # the minute ends at 02:01:00
        clock.move_to(datetime(2026, 11, 16, 2, 1, 0, tzinfo=UTC))
        # Refused requests did not count: the new minute has its full budget.
        assert [api.post(URL, SUBMISSION, format="json").status_code for _ in range(5)] == [
            201,
            201,
            201,
            201,
            429,
        ]


def test_it_keeps_one_counter_per_window_not_a_list_of_timestamps(api, db, settings):
    # O(1) per request whatever the rate (DRF's own throttle rewrites a list of every request).
    _rates(settings, submit="1000/min")
    with time_machine.travel(datetime(2026, 11, 16, 2, 0, 30, tzinfo=UTC), tick=False):
        for _ in range(3):
            assert api.post(URL, SUBMISSION, format="json").status_code == 201
        window = int(time.time() // 60)
    assert cache.get(f"throttle_submit_127.0.0.1:{window}") == 3


def test_it_gives_each_window_counter_an_expiry_so_none_outlives_its_window(api, db, settings):
    # The counter is created by INCR inside one script with its EXPIRE: no key without a TTL.
    _rates(settings, submit="1000/min")
    assert api.post(URL, SUBMISSION, format="json").status_code == 201
    window = int(time.time() // 60)
    key = cache.make_key(f"throttle_submit_127.0.0.1:{window}")
    ttl = cache._cache.get_client(key).ttl(key)
    assert 0 < ttl <= 61
