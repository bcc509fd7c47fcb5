"""The line the agent console shows on every complaint: "客户可于 X 月 X 日起向 12305 申诉"."""

from __future__ import annotations

from datetime import date

from escalation.clock import WorkCalendar

from .eligibility import AppealFacts, ReasonCode, Standing, check_eligibility

PARTY_STANDING = {
    "sender": Standing.SENDER,
    "recipient": Standing.RECIPIENT,
    "agent": Standing.AUTHORIZED_AGENT,  # intake records an agent only with an authorisation
}


def complaint_appeal_facts(complaint, *, today: date) -> AppealFacts:
    """Return what the complaint itself says about a possible appeal on `today`.

    The latest answer counts; until the follow-up records the customer as satisfied, an answer
    is treated as not accepted (eligibility.AppealFacts). The request is taken as clear: it is
    the customer's own complaint.
    """
    return AppealFacts(
        complained_at=complaint.accepted_at,
        company_answered_at=complaint.answered_at,
        satisfied=complaint.satisfied,
        has_clear_request=True,
        appealed_before=False,
        new_respondent_or_reason=False,
        in_legal_process=False,
        standing=PARTY_STANDING.get(complaint.party, Standing.SENDER),
        dispute_date=None,
        as_of=today,
    )


def appeal_hint(complaint, *, today: date, calendar: WorkCalendar) -> str:
    """Return the console's one-line answer, e.g. 客户可于11月24日起向12305申诉."""
    result = check_eligibility(complaint_appeal_facts(complaint, today=today), calendar=calendar)
    if result.eligible:
        return "客户现已可向12305申诉"
    if result.eligible_from is not None:
        day = result.eligible_from
        return f"客户可于{day.month}月{day.day}日起向12305申诉"
    if any(r.code == ReasonCode.SATISFIED_WITH_ANSWER for r in result.reasons):
        return "客户已满意，不符合申诉条件"
    return ""
