"""With the compensation app's claims: the report and the statistics show what was paid.

Skipped on a tree whose compensation app has no claim model yet (the apps are built apart).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from regulators import services
from regulators.statistics import _compensation_model, monthly_statistics
from tests.complaints.helpers import bring_to

pytestmark = pytest.mark.skipif(
    _compensation_model() is None, reason="the compensation app has no claim model here"
)


@pytest.fixture
def paid_claim(make_complaint, alice, bob, sam, org, now):
    from compensation import services as compensation
    from compensation.amounts import ClaimFacts, Incident, Service

    complaint = make_complaint(category="loss", service="postal_registered", freight="20.00")
    complaint = bring_to(
        "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    facts = ClaimFacts(
        service=Service.POSTAL_REGISTERED,
        incident=Incident.LOSS,
        insured=False,
        freight=Decimal("20.00"),
        actual_loss=Decimal("500.00"),
        limit_clause_shown=True,
    )
    claim = compensation.claim_propose(complaint=complaint, by=bob, facts=facts, now=now)
    claim = compensation.claim_approve(claim=claim, by=sam, now=now + timedelta(hours=1))
    return compensation.claim_pay(
        claim=claim,
        by=sam,
        payment_reference="PAY-0001",
        paid_on=(now + timedelta(hours=2)).date(),
        now=now + timedelta(hours=2),
    )


def test_it_reports_the_compensation_paid_in_the_month(paid_claim):
    summary = dict(monthly_statistics(2026, 11).sections[0].rows)
    assert summary["赔偿金额(元)"] == paid_claim.amount == Decimal("60.00")  # 3 × postage
    assert dict(monthly_statistics(2026, 10).sections[0].rows)["赔偿金额(元)"] == Decimal("0.00")


def test_it_puts_the_claim_into_the_report(paid_claim, register, sam, now):
    appeal = register(tracking_no=paid_claim.complaint.tracking_no)
    appeal = services.appeal_draft_report(appeal=appeal, by=sam, now=now)
    assert "赔偿（已赔付）：60.00元" in appeal.report_sections["result"]
