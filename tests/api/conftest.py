"""API test setup: a REST client, tokens for the personas, and a clean throttle cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

SUBMISSION = {
    "tracking_no": "SF1234567890",
    "complainant_name": "测试客户",
    "phone": "13800000000",
    "party": "recipient",
    "category": "delay",
    "description": "快件超时三天未送达，物流信息不更新。",
}


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """Roomy rates so ordinary tests never trip a throttle; throttle tests lower them."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "submit": "1000/min",
            "customer": "1000/min",
            "code_guess": "1000/hour",
            "partner": "1000/min",
        },
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user():
    return token_client


@pytest.fixture
def submit(api):
    """Submit a complaint as an anonymous customer; return (ticket_no, access_code)."""

    def do(**overrides):
        response = api.post("/api/v1/complaints/", {**SUBMISSION, **overrides}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        return body["ticket_no"], body["access_code"]

    return do
