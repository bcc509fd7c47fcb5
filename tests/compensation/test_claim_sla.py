"""Claim timers run through the SLA engine: a warning and a breach, each exactly once.

Seed 003: loss settled within 72 h, damage assessed within 48 h of the claim. The warning comes
at the complaint's policy's warning share (default 80 %); the unit head and the supervisors
hear of both, in-app and by e-mail. Frozen time, the real database, the beat's own task.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail

from compensation import services
from compensation.models import Claim
from escalation import tasks
from escalation.models import SlaEvent, SlaPolicy
from escalation.records import records_recompute, records_sweep
from kernel.models import Notice, Notification
from kernel.outbox.delivery import outbox_deliver_due


def _events(claim):
    """The ids of a claim's SLA events (the outbox keeps an event's id, not a key to it)."""
    return SlaEvent.objects.filter(record_id=claim.pk).values("id")


H = timedelta(hours=1)
CLAIM_TIMERS = ("claim_assessment", "claim_settlement")


@pytest.fixture
def head(org):
    """The head of branch A (a manager account without a staff profile), with an e-mail."""
    user = get_user_model().objects.create_user(username="hank", email="hank@example.invalid")
    org["a"].head = user
    org["a"].save()
    return user


def _claim_events(claim=None):
    rows = SlaEvent.objects.filter(timer__in=CLAIM_TIMERS)
    if claim is not None:
        rows = rows.filter(record_id=claim.pk)
    return list(rows.order_by("fired_at", "id").values_list("timer", "kind"))


def _sweep_at(moment):
    """Run the beat's sweep task as the beat would at `moment`."""
    with time_machine.travel(moment, tick=False):
        return tasks.sla_sweep()


def test_it_warns_and_breaches_a_loss_claim_once_each(complaint_at_a, propose, bob, sam, head, now):
    claim = propose(complaint_at_a, bob)  # loss: settle within 72 h
    assert claim.settle_due == now + 72 * H
    # 80 % of 72 h = 57.6 h: the sweep looks at the claim then, not before.
    assert claim.sla_next_check == now + timedelta(hours=57.6)

    _sweep_at(now + 57 * H)
    assert _claim_events() == []

    _sweep_at(now + 58 * H)
    _sweep_at(now + 58 * H)  # a second sweep fires nothing new
    assert _claim_events(claim) == [("claim_settlement", "warning")]
    claim.refresh_from_db()
    assert claim.sla_next_check == claim.settle_due

    _sweep_at(now + 73 * H)
    _sweep_at(now + 80 * H)
    assert _claim_events(claim) == [
        ("claim_settlement", "warning"),
        ("claim_settlement", "breach"),
    ]
    breach = SlaEvent.objects.get(record_id=claim.pk, kind="breach")
    assert breach.overdue_seconds == 3600  # seen at 73 h: an hour late
    assert breach.complaint_id == complaint_at_a.pk and breach.unit_id == complaint_at_a.unit_id
    claim.refresh_from_db()
    assert claim.sla_next_check is None  # nothing left to fire: out of the sweep's index

    # The unit head (in-app + e-mail) and the supervisor (in-app: no address) hear of each.
    sent = set(
        Notification.objects.filter(event_id__in=_events(claim)).values_list(
            "template", "user_id", "channel"
        )
    )
    assert sent == {
        ("staff_claim_warning", head.pk, "in_app"),
        ("staff_claim_warning", head.pk, "email"),
        ("staff_claim_warning", sam.pk, "in_app"),
        ("staff_claim_breach", head.pk, "in_app"),
        ("staff_claim_breach", head.pk, "email"),
        ("staff_claim_breach", sam.pk, "in_app"),
    }
    assert not Notification.objects.filter(event_id__in=_events(claim), user=bob).exists()

    with time_machine.travel(now + 80 * H, tick=False):
        outbox_deliver_due()
        outbox_deliver_due()
    notices = list(
        Notice.objects.filter(user=head, notification__event_id__in=_events(claim)).order_by("id")
    )
    assert [n.level for n in notices] == ["warning", "breach"]
    assert notices[0].complaint_id == complaint_at_a.pk
    assert f"赔偿申请#{claim.pk}" in notices[0].title and "即将到期" in notices[0].title
    assert "赔偿支付（72小时）" in notices[1].title and "已超时" in notices[1].title
    assert "超时1小时" in notices[1].body
    claim_mails = [m for m in mail.outbox if "赔偿" in m.subject]
    assert [m.to for m in claim_mails] == [["hank@example.invalid"], ["hank@example.invalid"]]
    assert "¥60.00" in claim_mails[0].body and "完成赔付" in claim_mails[0].body
    assert Notice.objects.filter(user=sam, notification__event_id__in=_events(claim)).count() == 2


def test_it_stops_the_assessment_timer_when_the_claim_is_decided(
    complaint_at_a, propose, bob, sam, head, now
):
    damage = propose(
        complaint_at_a,
        bob,
        incident="partial_damage",
        full_value=Decimal("1000"),
        actual_loss=Decimal("100"),
    )
    assert damage.assess_due == now + 48 * H and damage.settle_due is None
    # Proposing is not assessing: the 48 h run until a decision (approved or rejected).
    services.claim_approve(claim=damage, by=sam, now=now + 10 * H)
    damage.refresh_from_db()
    assert damage.sla_next_check is None
    _sweep_at(now + 50 * H)
    assert _claim_events() == []


def test_it_keeps_the_settlement_timer_running_after_approval_until_payment(
    complaint_at_a, propose, bob, sam, head, now
):
    loss = propose(complaint_at_a, bob)
    loss = services.claim_approve(claim=loss, by=sam, now=now + H)
    assert loss.sla_next_check == now + timedelta(hours=57.6)
    _sweep_at(now + 60 * H)
    assert _claim_events(loss) == [("claim_settlement", "warning")]
    services.claim_pay(
        claim=loss, by=sam, payment_reference="PAY-001", paid_on=now.date(), now=now + 61 * H
    )
    loss.refresh_from_db()
    assert loss.sla_next_check is None
    _sweep_at(now + 90 * H)
    assert _claim_events(loss) == [("claim_settlement", "warning")]


def test_it_stops_both_timers_when_the_claim_is_rejected(
    complaint_at_a, propose, bob, sam, head, now
):
    loss = propose(complaint_at_a, bob)
    services.claim_reject(claim=loss, by=sam, reason="客户已撤回赔偿请求", now=now + H)
    _sweep_at(now + 100 * H)
    assert _claim_events() == []


def test_it_warns_at_the_share_of_the_complaints_policy(complaint_at_a, propose, bob, head, now):
    policy = SlaPolicy.objects.get(priority="normal", channel="", is_active=True)
    policy.warning_share = Decimal("0.50")
    policy.save()
    loss = propose(complaint_at_a, bob)
    assert loss.sla_next_check == now + 36 * H  # 50 % of 72 h
    records_sweep(now=now + 35 * H)
    assert _claim_events() == []
    records_sweep(now=now + 36 * H)
    assert _claim_events(loss) == [("claim_settlement", "warning")]


def test_it_recomputes_running_claims_when_the_policy_changes(
    complaint_at_a, propose, bob, head, now
):
    loss = propose(complaint_at_a, bob)
    SlaPolicy.objects.filter(priority="normal", channel="").update(warning_share=Decimal("0.25"))
    assert records_recompute(now=now + H) == 1
    loss.refresh_from_db()
    assert loss.sla_next_check == now + 18 * H
    assert records_recompute(now=now + H) == 0


def test_it_sweeps_claims_already_running_before_timers_were_tracked(
    complaint_at_a, propose, bob, head, now
):
    # What the migration does for claims proposed before this release: look at them now.
    loss = propose(complaint_at_a, bob)
    Claim.objects.filter(pk=loss.pk).update(sla_next_check=loss.proposed_at)
    records_sweep(now=now + 74 * H)
    assert _claim_events(loss) == [
        ("claim_settlement", "warning"),
        ("claim_settlement", "breach"),
    ]
    # A late sweep still tells warning before breach.
    topics = list(
        Notification.objects.filter(event_id__in=_events(loss), user=head, channel="in_app")
        .order_by("id")
        .values_list("template", flat=True)
    )
    assert topics == ["staff_claim_warning", "staff_claim_breach"]


@pytest.mark.parametrize(
    ("hours_later", "level"),
    [(1, "ok"), (58, "warning"), (73, "breached")],  # 72 h settlement, warning at 57.6 h
)
def test_it_colours_the_claim_timer_in_the_panel_as_the_sweep_sees_it(
    complaint_at_a, propose, bob, now, hours_later, level
):
    from django.test import Client

    claim = propose(complaint_at_a, bob)
    client = Client()
    client.force_login(bob)
    with time_machine.travel(now + hours_later * H, tick=False):
        html = client.get(
            f"/compensation/complaints/{complaint_at_a.ticket_no}/claims/panel/",
            HTTP_HX_REQUEST="true",
        ).content.decode()
    assert f'data-timer="claim_settlement" data-level="{level}"' in html
    assert "赔付时限" in html
    assert claim.sla_next_check is not None
