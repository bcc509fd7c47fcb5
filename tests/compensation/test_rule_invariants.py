"""Property tests: the invariants stated in compensation.amounts' docstring hold for any facts."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from compensation.amounts import (
    MONEY_FIELDS,
    ClaimFacts,
    Incident,
    InvalidFacts,
    Service,
    quote,
    validate_facts,
)
from compensation.carrier_policies import (
    DEFAULT_POLICY,
    CarrierPolicy,
    InsuredPayout,
    PartialDamage,
)

D = Decimal
TOTAL_LOSS = {Incident.LOSS, Incident.TOTAL_DAMAGE}
MAX = D("100000")
ZERO = D(0)


def money(min_value: Decimal = ZERO, max_value: Decimal = MAX) -> st.SearchStrategy[Decimal]:
    """Whole-fen amounts in yuan."""
    return st.decimals(
        min_value=min_value, max_value=max_value, places=2, allow_nan=False, allow_infinity=False
    )


@st.composite
def claim_facts(draw: st.DrawFn) -> ClaimFacts:
    """Draw valid facts: any service, incident and fault flags, consistent money."""
    service = draw(st.sampled_from(Service))
    incident = draw(st.sampled_from(Incident))
    insured = service != Service.POSTAL_ORDINARY and draw(st.booleans())
    full_value = draw(st.none() | money(min_value=D("0.01")))
    actual_loss = draw(st.none() | money(max_value=full_value if full_value is not None else MAX))
    return ClaimFacts(
        service=service,
        incident=incident,
        insured=insured,
        insured_amount=draw(money(min_value=D("0.01"))) if insured else None,
        full_value=full_value,
        actual_loss=actual_loss,
        freight=draw(money(max_value=D("500"))),
        addon_fees=draw(money(max_value=D("500"))),
        delay_days=draw(st.integers(1 if incident == Incident.DELAY else 0, 30)),
        force_majeure=draw(st.booleans()),
        goods_nature_or_sender_fault=draw(st.booleans()),
        carrier_gross_negligence=draw(st.booleans()),
        limit_clause_shown=draw(st.booleans()),
        value_evidence=draw(st.booleans()),
    )


policies = st.builds(
    CarrierPolicy,
    code=st.just("generated"),
    name=st.just("生成的规则"),
    insured_payout=st.sampled_from(InsuredPayout),
    partial_damage=st.sampled_from(PartialDamage),
    uninsured_cap_multiple=st.none() | st.decimals(min_value=D("0.5"), max_value=10, places=1),
    deemed_lost_after_days=st.integers(1, 30),
    review_cap_cut_share=st.decimals(min_value=0, max_value=1, places=2),
)


def is_delay_refund(facts: ClaimFacts, policy: CarrierPolicy) -> bool:
    """A delay not yet deemed a loss: the payout is the freight, not a loss payout.

    Only express becomes a loss by the policy's days; postal mail by 邮政法 art. 49 (a query
    and its reply period), which these facts never carry.
    """
    if facts.incident != Incident.DELAY:
        return False
    return facts.service != Service.EXPRESS or facts.delay_days <= policy.deemed_lost_after_days


def limits_set_aside(facts: ClaimFacts) -> bool:
    """邮政法 art. 47 para. 2: insured registered mail whose insured limits may not be invoked."""
    return (
        facts.service in (Service.POSTAL_REGISTERED, Service.REGISTERED_LETTER)
        and facts.insured
        and (facts.carrier_gross_negligence or not facts.limit_clause_shown)
        and not facts.force_majeure
        and not facts.goods_nature_or_sender_fault
    )


def effective_incident(facts: ClaimFacts, policy: CarrierPolicy) -> Incident:
    """The incident the rules apply: a delay past the threshold is a loss."""
    if facts.incident == Incident.DELAY and not is_delay_refund(facts, policy):
        return Incident.LOSS
    return facts.incident


@given(claim_facts(), policies)
def test_generated_facts_are_valid(facts: ClaimFacts, policy: CarrierPolicy) -> None:
    assert validate_facts(facts) == {}


@settings(max_examples=500)
@given(claim_facts(), policies)
def test_amount_is_never_negative_and_has_two_places(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    result = quote(facts, policy)

    assert result.amount >= 0
    assert result.amount.as_tuple().exponent == -2
    assert all(step.amount.as_tuple().exponent == -2 for step in result.steps)


@given(claim_facts(), policies)
def test_every_quote_ends_on_a_cited_step(facts: ClaimFacts, policy: CarrierPolicy) -> None:
    result = quote(facts, policy)

    assert result.steps, "a quote always shows how it was reached"
    assert result.steps[-1].amount == result.amount
    assert all(step.rule and step.source for step in result.steps)
    assert result.needs_review is bool(result.review_reasons)


@settings(max_examples=500)
@given(claim_facts(), policies)
def test_insured_payout_never_exceeds_the_insured_amount(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    assume(facts.insured and not is_delay_refund(facts, policy))
    assert facts.insured_amount is not None
    amount = quote(facts, policy).amount

    if limits_set_aside(facts):  # the actual loss (the full value when lost), never less
        loss = facts.actual_loss if facts.actual_loss is not None else facts.full_value
        assert amount <= max(facts.insured_amount, loss or ZERO)
    else:
        assert amount <= facts.insured_amount


@settings(max_examples=500)
@given(claim_facts(), policies)
def test_amount_never_exceeds_the_actual_loss_except_where_the_rule_says(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    assume(facts.actual_loss is not None)
    assert facts.actual_loss is not None
    result = quote(facts, policy)
    incident = effective_incident(facts, policy)

    if incident == Incident.DELAY:  # the refund is the freight, not a loss payout
        assert result.amount <= facts.freight
    elif (
        facts.service == Service.REGISTERED_LETTER
        and not facts.insured
        and incident != Incident.SHORT
    ):  # 3 × postage for a registered letter
        assert result.amount <= max(facts.actual_loss, 3 * facts.freight)
    elif (
        facts.insured
        and incident in TOTAL_LOSS
        and (
            facts.service != Service.EXPRESS
            or policy.insured_payout == InsuredPayout.INSURED_AMOUNT
        )
    ):  # the insured amount on total loss
        assert facts.insured_amount is not None
        assert result.amount <= max(facts.actual_loss, facts.insured_amount)
    else:
        assert result.amount <= facts.actual_loss


@given(claim_facts(), policies)
def test_force_majeure_uninsured_pays_nothing(facts: ClaimFacts, policy: CarrierPolicy) -> None:
    facts = dataclasses.replace(facts, force_majeure=True, insured=False, insured_amount=None)

    assert quote(facts, policy).amount == 0


@given(claim_facts(), policies)
def test_goods_nature_or_sender_fault_pays_nothing(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    facts = dataclasses.replace(facts, goods_nature_or_sender_fault=True)

    assert quote(facts, policy).amount == 0


@given(claim_facts(), policies)
def test_ordinary_mail_without_gross_negligence_pays_nothing(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    facts = dataclasses.replace(
        facts,
        service=Service.POSTAL_ORDINARY,
        insured=False,
        insured_amount=None,
        carrier_gross_negligence=False,
    )

    assert quote(facts, policy).amount == 0


@settings(max_examples=500)
@given(claim_facts(), policies, st.data())
def test_a_larger_actual_loss_never_gives_a_smaller_amount(
    facts: ClaimFacts, policy: CarrierPolicy, data: st.DataObject
) -> None:
    assume(facts.actual_loss is not None)
    assert facts.actual_loss is not None
    ceiling = facts.full_value if facts.full_value is not None else MAX
    larger = data.draw(money(min_value=facts.actual_loss, max_value=ceiling), label="larger")

    smaller_quote = quote(facts, policy)
    larger_quote = quote(dataclasses.replace(facts, actual_loss=larger), policy)

    assert larger_quote.amount >= smaller_quote.amount


@given(claim_facts(), policies, money(max_value=D("500")))
def test_add_on_fees_never_change_the_amount(
    facts: ClaimFacts, policy: CarrierPolicy, addon_fees: Decimal
) -> None:
    other = dataclasses.replace(facts, addon_fees=addon_fees)

    assert quote(other, policy).amount == quote(facts, policy).amount


@given(claim_facts(), policies, st.data())
def test_a_delay_within_the_threshold_refunds_the_freight_or_nothing(
    facts: ClaimFacts, policy: CarrierPolicy, data: st.DataObject
) -> None:
    days = data.draw(st.integers(1, policy.deemed_lost_after_days), label="delay_days")
    facts = dataclasses.replace(facts, incident=Incident.DELAY, delay_days=days)

    assert quote(facts, policy).amount in {D("0.00"), facts.freight}


@given(claim_facts(), policies, money(min_value=D("0.01")))
def test_over_declared_insurance_is_always_flagged(
    facts: ClaimFacts, policy: CarrierPolicy, excess: Decimal
) -> None:
    full_value = facts.full_value or max(facts.actual_loss or ZERO, D("100"))
    service = Service.EXPRESS if facts.service == Service.POSTAL_ORDINARY else facts.service
    facts = dataclasses.replace(
        facts,
        service=service,
        insured=True,
        full_value=full_value,
        insured_amount=full_value + excess,
    )
    assert validate_facts(facts) == {}

    result = quote(facts, policy)

    assert result.needs_review
    assert any("超额保价" in reason for reason in result.review_reasons)


@given(claim_facts(), policies)
def test_the_caller_decimal_context_does_not_change_the_quote(
    facts: ClaimFacts, policy: CarrierPolicy
) -> None:
    expected = quote(facts, policy)

    with localcontext() as ctx:
        ctx.prec = 4
        assert quote(facts, policy) == expected


@given(claim_facts(), st.sampled_from(MONEY_FIELDS), money(min_value=D("0.01")))
def test_negative_money_is_rejected(facts: ClaimFacts, field: str, amount: Decimal) -> None:
    facts = dataclasses.replace(facts, **{field: -amount})

    errors = validate_facts(facts)

    assert field in errors
    with pytest.raises(InvalidFacts) as raised:
        quote(facts, DEFAULT_POLICY)
    assert raised.value.errors == errors


@given(policies)
def test_policy_round_trips_through_json(policy: CarrierPolicy) -> None:
    data = json.loads(json.dumps(policy.to_dict()))

    assert CarrierPolicy.from_dict(data) == policy
