"""Security tests: roomy API rates (throttle tests lower them), a private media folder."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _security_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "submit": "10000/min",
            "customer": "10000/min",
            "code_guess": "10000/hour",
            "partner": "10000/min",
        },
    }
    settings.REGULATORS = {**settings.REGULATORS, "ELIGIBILITY_RATE": "10000/min"}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def world(org, alice, bob, carol, sam, pat, now):
    from tests.security.world import build_world

    return build_world(org=org, alice=alice, bob=bob, carol=carol, sam=sam, pat=pat, now=now)
