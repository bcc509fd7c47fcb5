"""A small fixed history, built through the real services, with hand-known KPI values.

All seven complaints are accepted on 2026-11-10 at 10:00 Asia/Shanghai (02:00 UTC):

| #  | unit | category | what happens                                                           |
|----|------|----------|------------------------------------------------------------------------|
| c1 | A    | delay    | replied after 2 h, follow-up satisfied after 3 h → closed; claim paid |
| c2 | A    | delay    | replied after 80 h (both timers breached, the sweep's rows exist);     |
|    |      |          | follow-up unsatisfied → reopened; replied again, satisfied → closed    |
| c3 | B    | loss     | contact after 1 h, paused 49 h, replied after 74 h (on time: pause);   |
|    |      |          | judged not justified; still answered                                   |
| c4 | B    | loss     | dispatched, then withdrawn                                             |
| c5 | —    | damage   | rejected at acceptance                                                 |
| c6 | A    | delay    | repeat of c1 (same waybill), via the regulator, marked escalated       |
| c7 | —    | other    | accepted, nothing else                                                 |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from compensation import services as claims
from complaints import services
from complaints.models import Complaint
from escalation.models import SlaEvent
from tests.compensation.conftest import loss_facts
from tests.conftest import GOOD_REPLY

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def fresh(c: Complaint) -> Complaint:
    return Complaint.objects.get(pk=c.pk)


def breach(complaint: Complaint, timer: str, due: datetime, fired: datetime) -> SlaEvent:
    """The breach row the SLA sweep writes when a timer passes."""
    return SlaEvent.objects.create(
        complaint=complaint,
        timer=timer,
        kind="breach",
        level=0,
        timer_started_at=complaint.accepted_at,
        due_at=due,
        scheduled_at=due,
        fired_at=fired,
        overdue_seconds=int((fired - due).total_seconds()),
        unit=complaint.unit,
        priority=complaint.priority,
    )


@pytest.fixture(autouse=True)
def _chinese():
    """Each test starts in Chinese (a request in English leaves its language active)."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def history(make_complaint, alice, bob, carol, sam, org):
    a, b = org["a"], org["b"]
    s = services

    c1 = make_complaint(at=T0, tracking_no="SF0000000001", phone="13900000001")
    s.complaint_dispatch(complaint=fresh(c1), unit=a, by=alice, now=T0 + 0.1 * H)
    s.complaint_reply(complaint=fresh(c1), by=bob, reply=GOOD_REPLY, now=T0 + 2 * H)
    s.complaint_record_follow_up(complaint=fresh(c1), by=alice, outcome="satisfied", now=T0 + 3 * H)

    c2 = make_complaint(at=T0, tracking_no="SF0000000002", phone="13900000002")
    s.complaint_dispatch(complaint=fresh(c2), unit=a, by=alice, now=T0 + 0.1 * H)
    claim = claims.claim_propose(
        complaint=fresh(c2), by=bob, facts=loss_facts(), now=T0 + 1 * H
    )  # ¥60 by the Postal Law's 3 × postage cap
    claims.claim_approve(claim=claim, by=sam, now=T0 + 2 * H)
    claim.refresh_from_db()
    claims.claim_pay(
        claim=claim, by=sam, payment_reference="PAY-1", paid_on=T0.date(), now=T0 + 3 * H
    )
    breach(c2, "first_response", T0 + 24 * H, T0 + 24.1 * H)
    breach(c2, "resolution", T0 + 72 * H, T0 + 72.1 * H)
    s.complaint_reply(complaint=fresh(c2), by=bob, reply=GOOD_REPLY, now=T0 + 80 * H)
    s.complaint_record_follow_up(
        complaint=fresh(c2),
        by=alice,
        outcome="unsatisfied",
        customer_words="仍不满意",
        now=T0 + 81 * H,
    )
    s.complaint_reply(complaint=fresh(c2), by=bob, reply=GOOD_REPLY, now=T0 + 82 * H)
    s.complaint_record_follow_up(
        complaint=fresh(c2), by=alice, outcome="satisfied", now=T0 + 83 * H
    )

    c3 = make_complaint(at=T0, tracking_no="SF0000000003", phone="13900000003", category="loss")
    s.complaint_dispatch(complaint=fresh(c3), unit=b, by=alice, now=T0 + 0.1 * H)
    s.complaint_log_contact(
        complaint=fresh(c3), by=carol, method="phone", summary="已联系客户", now=T0 + 1 * H
    )
    s.complaint_pause(complaint=fresh(c3), by=carol, reason="等待客户提供照片", now=T0 + 1 * H)
    s.complaint_resume(complaint=fresh(c3), by=carol, now=T0 + 50 * H)
    s.complaint_reply(complaint=fresh(c3), by=carol, reply=GOOD_REPLY, now=T0 + 74 * H)
    s.complaint_set_justified(
        complaint=fresh(c3),
        by=alice,
        facts_confirmed=False,
        our_fault=False,
        obstructed=False,
        reason="核实不属实",
        now=T0 + 75 * H,
    )

    c4 = make_complaint(at=T0, tracking_no="SF0000000004", phone="13900000004", category="loss")
    s.complaint_dispatch(complaint=fresh(c4), unit=b, by=alice, now=T0 + 0.1 * H)
    s.complaint_withdraw(complaint=fresh(c4), by=alice, reason="客户撤诉", now=T0 + 2 * H)

    c5 = make_complaint(at=T0, tracking_no="SF0000000005", phone="13900000005", category="damage")
    s.complaint_reject(complaint=fresh(c5), by=alice, reason="不属于受理范围", now=T0 + 1 * H)

    c6 = make_complaint(
        at=T0 + 4 * H, tracking_no="SF0000000001", phone="13900000001", channel="regulator"
    )
    s.complaint_dispatch(complaint=fresh(c6), unit=a, by=alice, now=T0 + 4.1 * H)
    s.complaint_mark_escalated(
        complaint=fresh(c6), by=alice, reason="客户向监管部门申诉", now=T0 + 5 * H
    )

    c7 = make_complaint(at=T0, tracking_no="SF0000000007", phone="13900000007", category="other")

    rows = {
        n: Complaint.objects.get(pk=c.pk)
        for n, c in {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7}.items()
    }
    rows["claim_amount"] = Decimal(claim.amount)
    return rows
