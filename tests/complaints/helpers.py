"""Bring a complaint to any state through the real services, as the right people."""

from __future__ import annotations

from datetime import timedelta

from complaints import services
from complaints.models import ComplaintTransition
from tests.conftest import GOOD_REPLY


def bring_to(state: str, complaint, *, agent, branch_user, unit, now):
    """Walk `complaint` through the loop until it is in `state`; return it fresh."""
    if state == "accepted":
        return complaint
    if state == "rejected":
        return services.complaint_reject(complaint=complaint, by=agent, reason="重复投诉", now=now)
    complaint = services.complaint_dispatch(complaint=complaint, unit=unit, by=agent, now=now)
    if state == "withdrawn":
        return services.complaint_withdraw(
            complaint=complaint, by=agent, reason="客户撤诉", now=now
        )
    if state == "verifying":
        return complaint
    services.complaint_reply(complaint=complaint, by=branch_user, reply=GOOD_REPLY, now=now)
    complaint.refresh_from_db()
    if state == "answered":
        return complaint
    complaint = services.complaint_start_follow_up(complaint=complaint, by=agent, now=now)
    if state == "follow_up":
        return complaint
    assert state == "closed", state
    return services.complaint_record_follow_up(
        complaint=complaint, by=agent, outcome="satisfied", now=now + timedelta(minutes=1)
    )


def audit(complaint, transition):
    """The complaint's last audit row of `transition`, as one comparable tuple."""
    row = (
        ComplaintTransition.objects.filter(complaint=complaint, transition=transition)
        .order_by("id")
        .last()
    )
    return (
        row.actor,
        row.actor_kind,
        row.at,
        row.transition,
        row.from_state,
        row.to_state,
        row.reason,
        row.details,
    )
