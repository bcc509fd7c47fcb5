"""Who may approve and pay a claim (pure): separation of duties and the supervisor's limits.

Money leaves only when two people agreed, and "small" is measured on totals (the complaint's
approved sum, the agent's approvals of the day), so splitting a payment never gets round the
supervisor. See docs/compensation.md, "Who may do what: separation of duties (issue 19)".
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Step(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    PAY = "pay"


class DutyConflict(StrEnum):
    """Why this person may not take this step on this claim, whatever their rights."""

    OWN_PROPOSAL = "own_proposal"  # approving one's own proposal
    PAYING_OWN_PROPOSAL = "paying_own_proposal"  # recording payment of one's own proposal
    PAYING_OWN_APPROVAL = "paying_own_approval"  # recording payment of one's own approval


class SupervisorReason(StrEnum):
    """Why a claim needs a supervisor's approval rather than an agent's."""

    OVERRIDE_ABOVE_QUOTE = "override_above_quote"
    COMPLAINT_TOTAL = "complaint_total"
    AGENT_DAILY_TOTAL = "agent_daily_total"


@dataclass(frozen=True)
class ApprovalLimits:
    """The configurable limits (settings.COMPENSATION), in yuan."""

    threshold: Decimal = Decimal("500.00")  # SPEC §5: above this a supervisor approves
    agent_daily_limit: Decimal = Decimal("500.00")  # one agent's approvals in one day
    override_review_multiple: Decimal = Decimal("3")  # an override above N × quote is flagged
    payer_not_approver: bool = False  # also keep the approver from recording the payment

    def __post_init__(self):
        for name in ("threshold", "agent_daily_limit", "override_review_multiple"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a non-negative Decimal, not {value!r}")


def override_above_quote(*, quoted: Decimal, override: Decimal | None) -> bool:
    """An amount set by hand above what the rules give (issue 19: always a supervisor's)."""
    return override is not None and override > quoted


def override_flagged(*, quoted: Decimal, override: Decimal | None, limits: ApprovalLimits) -> bool:
    """An override above N × the quote is flagged for review (a quote of ¥0: any amount)."""
    return override is not None and override > quoted * limits.override_review_multiple


def claim_supervisor_reasons(
    *,
    amount: Decimal,
    quoted: Decimal,
    override: Decimal | None,
    approved_before: Decimal,
    limits: ApprovalLimits,
) -> tuple[SupervisorReason, ...]:
    """Why this claim needs a supervisor whoever approves it.

    `approved_before` is what other claims of the same complaint were approved for (approved
    or paid, not rejected). SPEC §5's threshold under 企业内部控制基本规范 art. 30 (授权审批控制:
    each approver within their authority), counted on the complaint's total (issue 19) so that
    splitting a payment into several claims cannot stay under it.
    """
    reasons = []
    if override_above_quote(quoted=quoted, override=override):
        reasons.append(SupervisorReason.OVERRIDE_ABOVE_QUOTE)
    if approved_before + amount > limits.threshold:
        reasons.append(SupervisorReason.COMPLAINT_TOTAL)
    return tuple(reasons)


def agent_supervisor_reasons(
    *, amount: Decimal, approved_today: Decimal, limits: ApprovalLimits
) -> tuple[SupervisorReason, ...]:
    """Why this agent may not approve it: their approvals today would pass the daily limit."""
    if approved_today + amount > limits.agent_daily_limit:
        return (SupervisorReason.AGENT_DAILY_TOTAL,)
    return ()


def duty_conflict(
    step: Step,
    *,
    actor: Hashable,
    proposer: Hashable,
    approver: Hashable | None,
    limits: ApprovalLimits,
) -> DutyConflict | None:
    """The conflict of duties that forbids `actor` this step, or None.

    企业内部控制基本规范 art. 29 (不相容职务分离): who proposes a payment neither approves it
    nor records it as paid. Rejecting moves no money, so the proposer may withdraw their own
    claim (the right to decide the amount still applies).
    """
    if step == Step.APPROVE and actor == proposer:
        return DutyConflict.OWN_PROPOSAL
    if step == Step.PAY and actor == proposer:
        return DutyConflict.PAYING_OWN_PROPOSAL
    if step == Step.PAY and limits.payer_not_approver and actor == approver:
        return DutyConflict.PAYING_OWN_APPROVAL
    return None
