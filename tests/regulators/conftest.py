"""Fixtures for regulator appeals: registering appeals through the real service."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from kernel.clock import SHANGHAI
from regulators import services


def sh(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Return an aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def new_appeal(**overrides) -> services.NewAppeal:
    fields = {
        "case_no": "SG2026110001",
        "received_at": sh(2026, 11, 16, 9),
        "province": "GD",
        "appellant_name": "测试客户",
        "appellant_phone": "13800000000",
        "facts": "快件超时未送达，向企业投诉7日未获处理。",
        "request": "要求尽快投递并赔偿运费。",
        "tracking_no": "SF1234567890",
        "category": "delay",
        "party": "recipient",
    }
    fields.update(overrides)
    return services.NewAppeal(**fields)


@pytest.fixture
def register(sam, now):
    """Register an appeal as sam (the supervisor) at `now` unless told otherwise."""

    def make(by=None, at=None, **overrides):
        return services.appeal_register(data=new_appeal(**overrides), by=by or sam, now=at or now)

    return make


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The throttle counts live in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()
