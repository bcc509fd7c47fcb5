"""Reliability tests: what the app does when PostgreSQL, Redis or the media folder fail."""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from kernel import resilient_cache

SUBMISSION = {
    "tracking_no": "SF1234567890",
    "complainant_name": "测试客户",
    "phone": "13800000000",
    "party": "recipient",
    "category": "delay",
    "description": "快件超时三天未送达，物流信息不更新。",
}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _cache_state():
    """Each test starts with the cache taken to be up (no cool-down left from another)."""
    resilient_cache.state.down_until = 0.0
    yield
    resilient_cache.state.down_until = 0.0


@pytest.fixture
def dead_redis_url():
    """A Redis URL on a loopback port nobody listens on: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down(settings, dead_redis_url):
    """The cache configured as in production, but its Redis is unreachable."""
    settings.CACHES = {
        "default": {
            "BACKEND": "kernel.resilient_cache.DegradingRedisCache",
            "LOCATION": dead_redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "submit": "5/min",
            "customer": "5/min",
            "code_guess": "5/hour",
            "partner": "5/min",
        },
    }
    yield
