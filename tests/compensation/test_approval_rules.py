"""The separation-of-duties rules (compensation/approval.py), pure: one row per case and source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compensation.approval import (
    ApprovalLimits,
    DutyConflict,
    Step,
    SupervisorReason,
    agent_supervisor_reasons,
    claim_supervisor_reasons,
    duty_conflict,
    override_flagged,
)

D = Decimal
LIMITS = ApprovalLimits()  # the defaults: ¥500, ¥500 a day, 3 × the quote, payer may approve
STRICT = ApprovalLimits(payer_not_approver=True)


@pytest.mark.parametrize(
    ("step", "actor", "proposer", "approver", "limits", "expected"),
    [
        # 企业内部控制基本规范 art. 29: the proposer neither approves nor records the payment.
        pytest.param(Step.APPROVE, 1, 1, None, LIMITS, DutyConflict.OWN_PROPOSAL, id="approve-own"),
        pytest.param(Step.APPROVE, 2, 1, None, LIMITS, None, id="approve-another's"),
        pytest.param(Step.PAY, 1, 1, 2, LIMITS, DutyConflict.PAYING_OWN_PROPOSAL, id="pay-own"),
        pytest.param(Step.PAY, 3, 1, 2, LIMITS, None, id="pay-a-third-person"),
        pytest.param(Step.PAY, 2, 1, 2, LIMITS, None, id="approver-pays-by-default"),
        pytest.param(
            Step.PAY, 2, 1, 2, STRICT, DutyConflict.PAYING_OWN_APPROVAL, id="approver-pays-strict"
        ),
        pytest.param(Step.PAY, 3, 1, 2, STRICT, None, id="third-person-pays-strict"),
        # Rejecting moves no money: the proposer may withdraw their own claim.
        pytest.param(Step.REJECT, 1, 1, None, STRICT, None, id="reject-own"),
    ],
)
def test_it_keeps_incompatible_duties_apart(step, actor, proposer, approver, limits, expected):
    assert (
        duty_conflict(step, actor=actor, proposer=proposer, approver=approver, limits=limits)
        == expected
    )


@pytest.mark.parametrize(
    ("amount", "quoted", "override", "before", "expected"),
    [
        pytest.param("60", "60", None, "0", (), id="quote-alone"),
        pytest.param("500", "500", None, "0", (), id="quote-at-the-threshold"),
        pytest.param(
            "500.01", "500.01", None, "0", (SupervisorReason.COMPLAINT_TOTAL,), id="above-it"
        ),
        # The threshold is on the complaint's approved total, not one claim (issue 19).
        pytest.param("300", "300", None, "200", (), id="total-at-the-threshold"),
        pytest.param(
            "300", "300", None, "300", (SupervisorReason.COMPLAINT_TOTAL,), id="second-claim-over"
        ),
        # An override above the quote goes to a supervisor whatever its size.
        pytest.param(
            "60.01", "60", "60.01", "0", (SupervisorReason.OVERRIDE_ABOVE_QUOTE,), id="override-up"
        ),
        pytest.param("50", "60", "50", "0", (), id="override-down"),
        pytest.param("60", "60", "60", "0", (), id="override-equal"),
        pytest.param(
            "600",
            "60",
            "600",
            "0",
            (SupervisorReason.OVERRIDE_ABOVE_QUOTE, SupervisorReason.COMPLAINT_TOTAL),
            id="override-and-total",
        ),
    ],
)
def test_it_says_when_a_claim_needs_a_supervisor(amount, quoted, override, before, expected):
    reasons = claim_supervisor_reasons(
        amount=D(amount),
        quoted=D(quoted),
        override=None if override is None else D(override),
        approved_before=D(before),
        limits=LIMITS,
    )
    assert reasons == expected


@pytest.mark.parametrize(
    ("amount", "today", "expected"),
    [
        pytest.param("60", "0", (), id="first-of-the-day"),
        pytest.param("200", "300", (), id="reaches-the-daily-limit"),
        pytest.param("200.01", "300", (SupervisorReason.AGENT_DAILY_TOTAL,), id="passes-it"),
    ],
)
def test_it_limits_an_agents_approvals_per_day(amount, today, expected):
    assert (
        agent_supervisor_reasons(amount=D(amount), approved_today=D(today), limits=LIMITS)
        == expected
    )


@pytest.mark.parametrize(
    ("quoted", "override", "multiple", "flagged"),
    [
        pytest.param("60", None, "3", False, id="no-override"),
        pytest.param("60", "180", "3", False, id="three-times"),
        pytest.param("60", "180.01", "3", True, id="above-three-times"),
        pytest.param("60", "120.01", "2", True, id="configured-two-times"),
        pytest.param("0", "0.01", "3", True, id="anything-on-a-zero-quote"),
    ],
)
def test_it_flags_an_override_far_above_the_quote(quoted, override, multiple, flagged):
    limits = ApprovalLimits(override_review_multiple=D(multiple))
    assert (
        override_flagged(
            quoted=D(quoted), override=None if override is None else D(override), limits=limits
        )
        is flagged
    )


@pytest.mark.parametrize("bad", [D("-1"), D("NaN"), 500])
def test_it_refuses_nonsense_limits(bad):
    with pytest.raises(ValueError):
        ApprovalLimits(threshold=bad)
