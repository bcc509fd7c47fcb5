"""The customer's timeline shows each compensation decision, never the internal proposal."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from compensation import services as claims
from compensation.amounts import ClaimFacts, Incident, Service
from complaints.models import Complaint
from tests.complaints.helpers import bring_to


def test_it_shows_the_claim_decision_and_amount(api, submit, alice, bob, sam, org):
    now = timezone.now()  # the API stamps the submission with the real clock
    ticket_no, code = submit(category="loss")
    complaint = bring_to(
        "verifying",
        Complaint.objects.get(ticket_no=ticket_no),
        agent=alice,
        branch_user=bob,
        unit=org["a"],
        now=now,
    )
    facts = ClaimFacts(
        service=Service.POSTAL_REGISTERED,
        incident=Incident.LOSS,
        insured=False,
        freight=Decimal("20.00"),
        actual_loss=Decimal("500.00"),
        limit_clause_shown=True,
    )
    claim = claims.claim_propose(complaint=complaint, by=bob, facts=facts, now=now)
    body = api.get(f"/api/v1/complaints/{ticket_no}/", HTTP_X_ACCESS_CODE=code).json()
    assert "claim_proposed" not in [e["event"] for e in body["timeline"]]

    claim = claims.claim_approve(claim=claim, by=sam, now=now)
    claims.claim_pay(
        claim=claim, by=sam, payment_reference="PAY-7", paid_on=timezone.localdate(now), now=now
    )
    body = api.get(f"/api/v1/complaints/{ticket_no}/", HTTP_X_ACCESS_CODE=code).json()
    shown = {e["event"]: e["detail"] for e in body["timeline"]}
    assert shown["claim_approved"] == "赔偿金额：60.00元"
    assert shown["claim_paid"] == f"赔偿金额：60.00元，支付日期：{timezone.localdate(now)}"
