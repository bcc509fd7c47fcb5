"""The customer hears each compensation decision by SMS, with the amount or the reason."""

from __future__ import annotations

from datetime import date

import pytest

from compensation import services
from kernel.models import Notification
from kernel.outbox.delivery import render


@pytest.mark.parametrize(
    ("step", "template", "expected"),
    [
        pytest.param(
            "approve", "customer_claim_approved", "金额60.00元", id="approved-with-amount"
        ),
        pytest.param(
            "reject", "customer_claim_rejected", "原因：证据不足", id="rejected-with-reason"
        ),
        pytest.param(
            "pay", "customer_claim_paid", "60.00元已于2026-11-16支付", id="paid-with-date"
        ),
    ],
)
def test_it_texts_the_customer_each_decision(
    step, template, expected, complaint_at_a, propose, alice, sam, now
):
    claim = propose(complaint_at_a, alice)
    if step == "reject":
        services.claim_reject(claim=claim, by=sam, reason="证据不足", now=now)
    else:
        claim = services.claim_approve(claim=claim, by=sam, now=now)
        if step == "pay":
            services.claim_pay(
                claim=claim,
                by=sam,
                payment_reference="PAY-0001",
                paid_on=date(2026, 11, 16),
                now=now,
            )
    message = Notification.objects.get(complaint_id=complaint_at_a.pk, template=template)
    assert message.channel == "sms"
    assert message.recipient_key == "customer"
    _subject, text = render(message)
    assert complaint_at_a.ticket_no in text
    assert expected in text


def test_it_does_not_text_the_customer_about_a_mere_proposal(complaint_at_a, propose, alice):
    propose(complaint_at_a, alice)
    assert not Notification.objects.filter(template__startswith="customer_claim").exists()


def test_the_ticket_page_carries_the_claim_panel(client, complaint_at_a, alice):
    client.force_login(alice)
    page = client.get(f"/tickets/{complaint_at_a.ticket_no}/").content.decode()
    assert f'id="claim-panel-{complaint_at_a.pk}"' in page
    assert f"/compensation/complaints/{complaint_at_a.ticket_no}/claims/panel/" in page
