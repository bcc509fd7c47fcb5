"""Claim timers (seed 003): loss settled within 72 h, damage assessed within 48 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from compensation import services
from compensation.amounts import Incident
from compensation.models import Claim
from compensation.timers import claim_due_times

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("incident", "delay_days", "assess", "settle"),
    [
        pytest.param(Incident.LOSS, 0, None, 72, id="seed003-loss-settled-within-72h"),
        pytest.param(Incident.TOTAL_DAMAGE, 0, 48, None, id="seed003-total-damage-assessed-48h"),
        pytest.param(Incident.PARTIAL_DAMAGE, 0, 48, None, id="seed003-damage-assessed-48h"),
        pytest.param(Incident.SHORT, 0, 48, None, id="seed003-short-contents-assessed-48h"),
        pytest.param(Incident.DELAY, 3, None, None, id="delay-fee-refund-runs-no-timer"),
        pytest.param(Incident.DELAY, 7, None, None, id="delay-at-the-threshold-is-a-delay"),
        pytest.param(Incident.DELAY, 8, None, 72, id="delay-past-deemed-lost-is-a-loss"),
    ],
)
def test_it_sets_the_due_times(incident, delay_days, assess, settle):
    due = claim_due_times(
        incident=incident, delay_days=delay_days, deemed_lost_after_days=7, claimed_at=T0
    )
    assert due == (
        T0 + timedelta(hours=assess) if assess else None,
        T0 + timedelta(hours=settle) if settle else None,
    )


def test_it_finds_overdue_claims_by_indexed_due_times(
    complaint_at_a, make_complaint, alice, bob, sam, propose, now, org
):
    from tests.complaints.helpers import bring_to

    loss = propose(complaint_at_a, bob)
    other = bring_to(
        "verifying",
        make_complaint(tracking_no="YT0000000001", phone="13900000001"),
        agent=alice,
        branch_user=bob,
        unit=org["a"],
        now=now,
    )
    damage = propose(
        other,
        bob,
        incident="partial_damage",
        full_value=Decimal("1000"),
        actual_loss=Decimal("100"),
    )
    assert loss.settle_due == now + timedelta(hours=72) and loss.assess_due is None
    assert damage.assess_due == now + timedelta(hours=48) and damage.settle_due is None

    late = now + timedelta(hours=49)
    assert list(Claim.objects.assessment_overdue(late)) == [damage]
    assert list(Claim.objects.settlement_overdue(late)) == []
    assert list(Claim.objects.settlement_overdue(now + timedelta(hours=73))) == [loss]

    # Deciding stops the assessment timer; paying (or rejecting) stops the settlement timer.
    services.claim_approve(claim=damage, by=sam, now=now)
    assert list(Claim.objects.assessment_overdue(late)) == []
    loss = services.claim_approve(claim=loss, by=sam, now=now)
    assert list(Claim.objects.settlement_overdue(now + timedelta(hours=73))) == [loss]
    services.claim_pay(claim=loss, by=sam, payment_reference="P", paid_on=now.date(), now=now)
    assert list(Claim.objects.settlement_overdue(now + timedelta(hours=73))) == []
