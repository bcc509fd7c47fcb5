"""The claim workflow: proposed → approved → paid, or rejected; rights by amount; audit trail."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from compensation import services
from compensation.models import Claim, ClaimEvent, ClaimStatus
from complaints.models import ComplaintTransition
from complaints.signals import complaint_changed
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.compensation.conftest import loss_facts
from tests.complaints.helpers import bring_to


def test_it_stores_the_facts_and_the_engines_result(complaint_at_a, bob, propose, now):
    claim = propose(complaint_at_a, bob)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PROPOSED
    assert claim.quoted_amount == claim.amount == Decimal("60.00")
    assert claim.basis == "statute"
    assert claim.steps[-1]["amount"] == "60.00"
    assert claim.steps[0]["source"] == "邮政法第四十七条"
    assert claim.policy.code == "insured_amount_3x"
    assert claim.policy_snapshot["uninsured_cap_multiple"] == "3.00"
    assert claim.facts() == loss_facts()
    assert claim.proposed_by == bob and claim.proposed_at == now


def test_it_keeps_an_override_with_its_reason(complaint_at_a, alice, propose):
    claim = propose(complaint_at_a, alice, amount="450.00")
    assert claim.quoted_amount == Decimal("60.00")
    assert claim.override_amount == claim.amount == Decimal("450.00")
    assert claim.override_reason == "客户提供发票"
    event = claim.events.get()
    assert event.details["quoted_amount"] == "60.00" and event.details["overridden"] is True


@pytest.mark.parametrize(
    ("override", "field"),
    [
        pytest.param(
            services.Override(amount=Decimal("100"), reason="  "),
            "override_reason",
            id="override-without-reason",
        ),
        pytest.param(
            services.Override(amount=Decimal("-1"), reason="x"),
            "override_amount",
            id="negative-override",
        ),
        pytest.param(
            services.Override(amount=Decimal("1.001"), reason="x"),
            "override_amount",
            id="override-in-tenths-of-fen",
        ),
    ],
)
def test_it_refuses_a_bad_override(complaint_at_a, alice, override, field, now):
    with pytest.raises(InvalidInput) as error:
        services.claim_propose(
            complaint=complaint_at_a, by=alice, facts=loss_facts(), override=override, now=now
        )
    assert field in error.value.field_errors
    assert not Claim.objects.exists()


def test_it_refuses_contradictory_facts_and_stores_nothing(complaint_at_a, alice, now):
    facts = loss_facts(incident="partial_damage", full_value=Decimal("100"))
    with pytest.raises(InvalidInput) as error:
        services.claim_propose(complaint=complaint_at_a, by=alice, facts=facts, now=now)
    assert "actual_loss" in error.value.field_errors
    assert not Claim.objects.exists()
    assert not ComplaintTransition.objects.filter(transition__startswith="claim_").exists()


def test_it_allows_one_claim_in_progress_per_complaint(complaint_at_a, alice, sam, propose, now):
    first = propose(complaint_at_a, alice)
    with pytest.raises(Conflict):
        propose(complaint_at_a, alice)
    services.claim_reject(claim=first, by=sam, reason="客户已撤回索赔", now=now)
    second = propose(complaint_at_a, alice)  # after a rejection a new claim may be proposed
    assert second.status == ClaimStatus.PROPOSED


def test_it_refuses_claims_on_a_closed_complaint(make_complaint, alice, bob, org, propose, now):
    closed = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with pytest.raises(Conflict):
        propose(closed, alice)


# --- approval rights by amount (the separation of duties: test_separation_of_duties.py) -----

# Postal registered, uninsured, postage ¥200: the quote is the actual loss up to ¥600.
AT_THRESHOLD = {"freight": Decimal("200.00"), "actual_loss": Decimal("500.00")}
ABOVE_THRESHOLD = {"freight": Decimal("200.00"), "actual_loss": Decimal("500.01")}


@pytest.mark.parametrize(
    ("persona", "facts", "allowed"),
    [
        pytest.param("alice", AT_THRESHOLD, True, id="agent-approves-at-the-threshold"),
        pytest.param("alice", {}, True, id="agent-approves-below-the-threshold"),
        pytest.param("alice", ABOVE_THRESHOLD, False, id="agent-cannot-approve-above-it"),
        pytest.param("sam", ABOVE_THRESHOLD, True, id="supervisor-approves-above-it"),
        pytest.param("sam", {}, True, id="supervisor-approves-any-amount"),
        pytest.param("bob", {}, False, id="branch-staff-cannot-approve"),
    ],
)
def test_it_decides_approval_rights_by_amount(
    persona, facts, allowed, request, complaint_at_a, carol, org, propose, now
):
    by = request.getfixturevalue(persona)
    proposer = (
        _another_branch_clerk(carol, org) if persona == "bob" else request.getfixturevalue("bob")
    )
    claim = propose(complaint_at_a, proposer, **facts)
    context = services.approval_context(by, complaint_at_a, now=now)
    assert services.allowed_actions(by, claim, context)["approve"] is allowed
    if allowed:
        approved = services.claim_approve(claim=claim, by=by, now=now)
        assert approved.status == ClaimStatus.APPROVED and approved.decided_by == by
    else:
        with pytest.raises(NotAllowed):
            services.claim_approve(claim=claim, by=by, now=now)
        with pytest.raises(NotAllowed):
            services.claim_reject(claim=claim, by=by, reason="不符合条件", now=now)
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PROPOSED
        assert claim.events.count() == 1


def _another_branch_clerk(carol, org):
    # A second clerk of branch A proposes, so that bob is refused for his role alone.
    from complaints.models import StaffProfile

    profile = StaffProfile.objects.get(user=carol)
    profile.unit = org["a"]
    profile.save()
    return carol


def test_it_reads_the_threshold_from_settings(complaint_at_a, alice, bob, propose, settings, now):
    settings.COMPENSATION = {**settings.COMPENSATION, "APPROVAL_THRESHOLD": "50"}
    claim = propose(complaint_at_a, bob)  # ¥60
    context = services.approval_context(alice, complaint_at_a, now=now)
    assert services.needs_supervisor(claim, context)
    assert services.allowed_actions(alice, claim, context)["approve"] is False


def test_it_lets_only_agents_and_supervisors_record_payment(
    complaint_at_a, alice, bob, sam, propose, now
):
    claim = services.claim_approve(claim=propose(complaint_at_a, bob), by=sam, now=now)
    with pytest.raises(NotAllowed):
        services.claim_pay(claim=claim, by=bob, payment_reference="P1", paid_on=now.date(), now=now)
    context = services.approval_context(bob, complaint_at_a, now=now)
    assert services.allowed_actions(bob, claim, context)["pay"] is False
    assert services.allowed_actions(alice, claim, context)["pay"] is True


@pytest.mark.parametrize("persona", ["pat", "nobody"])
def test_it_refuses_people_without_a_claim_role(persona, request, complaint_at_a, now):
    by = request.getfixturevalue(persona)
    with pytest.raises(NotAllowed):
        services.claim_propose(complaint=complaint_at_a, by=by, facts=loss_facts(), now=now)


@pytest.mark.parametrize("by", ["customer", "system"])
def test_it_refuses_customers_and_the_system(by, complaint_at_a, now):
    with pytest.raises(NotAllowed):
        services.claim_propose(complaint=complaint_at_a, by=by, facts=loss_facts(), now=now)


# --- branch scoping ------------------------------------------------------------------------


def test_it_answers_another_units_complaint_as_not_found(
    complaint_at_a, bob, carol, sam, propose, now
):
    with pytest.raises(NotFound):
        services.claim_propose(complaint=complaint_at_a, by=carol, facts=loss_facts(), now=now)
    claim = propose(complaint_at_a, bob)
    with pytest.raises(NotFound):
        services.get_claim_for_staff(complaint=complaint_at_a, claim_id=claim.pk, by=carol)
    with pytest.raises(NotFound):
        services.claims_for_staff(complaint=complaint_at_a, by=carol)
    assert list(Claim.objects.visible_to(carol)) == []
    assert list(Claim.objects.visible_to(bob)) == [claim]
    assert list(Claim.objects.visible_to(sam)) == [claim]


# --- the whole path and its audit trail ----------------------------------------------------


def test_it_audits_every_step_on_the_claim_and_the_complaint(
    complaint_at_a, bob, sam, alice, propose, now
):
    signals = []

    def listen(sender, complaint, event, actor, details, audit, **kwargs):
        assert audit.transition == event and audit.details == details
        signals.append((event, actor, details))

    complaint_changed.connect(listen, dispatch_uid="test-claims")
    try:
        claim = propose(complaint_at_a, bob, amount="800.00")
        claim = services.claim_approve(
            claim=claim, by=sam, note="发票核实无误", now=now + timedelta(hours=1)
        )
        claim = services.claim_pay(
            claim=claim,
            by=alice,
            payment_reference="WX20261116-0001",
            paid_on=date(2026, 11, 16),
            now=now + timedelta(hours=2),
        )
    finally:
        complaint_changed.disconnect(dispatch_uid="test-claims")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert (claim.payment_reference, claim.paid_on, claim.paid_by) == (
        "WX20261116-0001",
        date(2026, 11, 16),
        alice,
    )
    events = list(
        claim.events.values_list("action", "from_status", "to_status", "actor__username", "amount")
    )
    assert events == [
        ("propose", "", "proposed", "bob", Decimal("800.00")),
        ("approve", "proposed", "approved", "sam", Decimal("800.00")),
        ("pay", "approved", "paid", "alice", Decimal("800.00")),
    ]
    assert claim.events.get(action="approve").reason == "发票核实无误"
    rows = ComplaintTransition.objects.filter(
        complaint=complaint_at_a, transition__startswith="claim_"
    )
    assert list(rows.values_list("transition", "actor__username")) == [
        ("claim_proposed", "bob"),
        ("claim_approved", "sam"),
        ("claim_paid", "alice"),
    ]
    paid = rows.get(transition="claim_paid")
    assert paid.details == {
        "claim_id": claim.pk,
        "claim_status": "paid",
        "amount": "800.00",
        "currency": "CNY",
        "payment_reference": "WX20261116-0001",
        "paid_on": "2026-11-16",
    }
    assert paid.from_state == paid.to_state == "verifying"  # a claim does not move the complaint
    assert [s[0] for s in signals] == ["claim_proposed", "claim_approved", "claim_paid"]
    assert signals[1][2]["amount"] == "800.00"


def test_it_tells_the_customer_why_a_claim_was_rejected(complaint_at_a, bob, sam, propose, now):
    claim = propose(complaint_at_a, bob)
    claim = services.claim_reject(claim=claim, by=sam, reason="经核实已妥投本人签收", now=now)
    assert claim.status == ClaimStatus.REJECTED and claim.rejection_reason == "经核实已妥投本人签收"
    row = ComplaintTransition.objects.get(complaint=complaint_at_a, transition="claim_rejected")
    assert row.reason == "经核实已妥投本人签收"
    assert row.details["amount"] == "60.00"


def test_it_lets_an_approved_claim_be_rejected_before_payment(
    complaint_at_a, alice, bob, propose, now
):
    claim = services.claim_approve(claim=propose(complaint_at_a, bob), by=alice, now=now)
    claim = services.claim_reject(claim=claim, by=alice, reason="客户放弃索赔", now=now)
    assert list(claim.events.values_list("action", flat=True)) == ["propose", "approve", "reject"]


@pytest.mark.parametrize(
    ("step", "state"),
    [
        pytest.param("pay", "proposed", id="cannot-pay-before-approval"),
        pytest.param("approve", "paid", id="cannot-approve-twice"),
        pytest.param("reject", "paid", id="cannot-reject-a-paid-claim"),
        pytest.param("pay", "rejected", id="cannot-pay-a-rejected-claim"),
    ],
)
def test_it_refuses_steps_out_of_order(step, state, complaint_at_a, bob, sam, propose, now):
    claim = propose(complaint_at_a, bob)
    if state in ("paid",):
        claim = services.claim_approve(claim=claim, by=sam, now=now)
        claim = services.claim_pay(
            claim=claim, by=sam, payment_reference="P", paid_on=now.date(), now=now
        )
    if state == "rejected":
        claim = services.claim_reject(claim=claim, by=sam, reason="不予赔偿", now=now)
    before = claim.events.count()
    calls = {
        "pay": lambda: services.claim_pay(
            claim=claim, by=sam, payment_reference="P2", paid_on=now.date(), now=now
        ),
        "approve": lambda: services.claim_approve(claim=claim, by=sam, now=now),
        "reject": lambda: services.claim_reject(claim=claim, by=sam, reason="x", now=now),
    }
    with pytest.raises(Conflict):
        calls[step]()
    assert claim.events.count() == before


@pytest.mark.parametrize(
    ("reference", "paid_on", "field"),
    [
        pytest.param("", date(2026, 11, 16), "payment_reference", id="missing-reference"),
        pytest.param("P" * 65, date(2026, 11, 16), "payment_reference", id="reference-too-long"),
        pytest.param("P\x00", date(2026, 11, 16), "payment_reference", id="reference-with-nul"),
        pytest.param("P1", None, "paid_on", id="missing-date"),
        pytest.param("P1", date(2026, 11, 17), "paid_on", id="date-in-the-future"),
        pytest.param("P1", date(2026, 11, 1), "paid_on", id="date-before-the-complaint"),
    ],
)
def test_it_refuses_a_bad_payment_record(
    reference, paid_on, field, complaint_at_a, bob, sam, propose, now
):
    claim = services.claim_approve(claim=propose(complaint_at_a, bob), by=sam, now=now)
    with pytest.raises(InvalidInput) as error:
        services.claim_pay(
            claim=claim, by=sam, payment_reference=reference, paid_on=paid_on, now=now
        )
    assert field in error.value.field_errors
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_it_requires_a_reason_to_reject(complaint_at_a, sam, propose, now):
    claim = propose(complaint_at_a, sam)
    with pytest.raises(InvalidInput) as error:
        services.claim_reject(claim=claim, by=sam, reason="   ", now=now)
    assert "reason" in error.value.field_errors


def test_it_refuses_to_rewrite_or_delete_the_audit_trail(complaint_at_a, sam, propose):
    claim = propose(complaint_at_a, sam)
    event = claim.events.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ClaimEvent.objects.filter(pk=event.pk).update(reason="改写")
    with pytest.raises(PermissionError):
        claim.delete()
    with pytest.raises(PermissionError):
        Claim.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_raw_sql_changes_to_the_audit_trail(org, alice, make_complaint, propose):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    claim = propose(make_complaint(), alice)
    for sql in (
        "UPDATE compensation_claimevent SET reason = 'x'",
        "DELETE FROM compensation_claimevent",
        "DELETE FROM compensation_claim",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Claim.objects.filter(pk=claim.pk).exists()
