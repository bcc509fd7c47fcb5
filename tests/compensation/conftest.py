"""Fixtures for claims: API clients per persona and complaints at branch A."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation import services
from compensation.amounts import ClaimFacts, Incident, Service
from tests.complaints.helpers import bring_to


@pytest.fixture
def api(db):
    """api(user) → an APIClient authenticated with that user's token (None: anonymous)."""

    def client(user=None) -> APIClient:
        c = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return c

    return client


@pytest.fixture
def complaint_at_a(make_complaint, alice, bob, org, now):
    """A loss complaint dispatched to branch A (bob's), in 核实."""
    complaint = make_complaint(category="loss", service="postal_registered", freight="20.00")
    return bring_to("verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)


def loss_facts(**overrides) -> ClaimFacts:
    """Postal registered, uninsured, postage ¥20, lost, ¥500 loss → ¥60 (邮政法 art. 47)."""
    fields = {
        "service": Service.POSTAL_REGISTERED,
        "incident": Incident.LOSS,
        "insured": False,
        "freight": Decimal("20.00"),
        "actual_loss": Decimal("500.00"),
        "limit_clause_shown": True,
    }
    fields.update(overrides)
    return ClaimFacts(**fields)


@pytest.fixture
def propose(now):
    """propose(complaint, by, amount=None, **facts) → a claim (override when amount given)."""

    def run(complaint, by, *, amount=None, at=None, **facts):
        override = (
            services.Override(amount=Decimal(amount), reason="客户提供发票") if amount else None
        )
        return services.claim_propose(
            complaint=complaint, by=by, facts=loss_facts(**facts), override=override, now=at or now
        )

    return run
