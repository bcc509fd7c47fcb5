"""The line the agent console shows on every complaint: "客户可于X年X月X日起向12305申诉"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from kernel.clock import WorkCalendar

from .eligibility import (
    AppealFacts,
    ReasonCode,
    Standing,
    check_eligibility,
    format_chinese_date,
)

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


@dataclass(frozen=True)
class AppealOutlook:
    """What a complaint's own record says about 12305 on one day: the console's one line.

    The only wrapper of the eligibility rules for complaints: the agent console's line (the
    `appeal_hint` tag), the ticket panel and the queue's 12305 column all come from here.
    """

    eligible: bool  # The customer may appeal today.
    eligible_from: date | None  # The first day they may (None: never, e.g. satisfied).
    text: str  # The console's line, "" when there is nothing to say.


def appeal_outlook(complaint, *, today: date, calendar: WorkCalendar) -> AppealOutlook:
    """Return whether and from when the customer may appeal, with the console's line."""
    result = check_eligibility(complaint_appeal_facts(complaint, today=today), calendar=calendar)
    day = result.eligible_from
    if result.eligible:
        text = _("客户现已可向12305申诉")
    elif day is not None:
        # 邮政业用户申诉处理办法 art. 9: unhandled within 7 days → the customer may appeal.
        text = _("客户可于%(date)s起向12305申诉") % {"date": format_chinese_date(day)}
    elif any(r.code == ReasonCode.SATISFIED_WITH_ANSWER for r in result.reasons):
        text = _("客户已满意，不符合申诉条件")
    else:
        text = ""
    return AppealOutlook(eligible=result.eligible, eligible_from=day, text=str(text))


def appeal_hint(complaint, *, today: date, calendar: WorkCalendar) -> str:
    """Return the console's one-line answer, e.g. 客户可于2026年11月24日起向12305申诉."""
    return appeal_outlook(complaint, today=today, calendar=calendar).text
