"""Public endpoints are rate-limited per client address, in the shared cache (Redis here)."""

from __future__ import annotations

from django.conf import settings as django_settings

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


def test_it_answers_too_many_submissions_with_429_and_retry_after(api, db, settings):
    _rates(settings, submit="2/min")
    statuses = [api.post(URL, SUBMISSION, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    response = api.post(URL, SUBMISSION, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    error = response.json()["error"]
    assert error["code"] == "throttled" and "请求过于频繁" in error["message"]


def test_it_counts_each_address_separately(api, db, settings):
    _rates(settings, submit="1/min")
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.1").status_code == 201
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.2").status_code == 201
    assert api.post(URL, SUBMISSION, format="json", REMOTE_ADDR="10.0.0.1").status_code == 429


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
