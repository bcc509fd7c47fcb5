"""The claim panel on the ticket page in a real Chromium: propose with a live quote, approve."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compensation.models import Claim, ClaimStatus
from complaints import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_proposes_a_claim_with_a_live_quote_and_the_supervisor_approves_it(
    open_as, alice, bob, sam, org, make_complaint, live_server, screenshot
):
    # An insured express parcel (¥1 200 insured, worth ¥1 500) lost at branch A.
    complaint = make_complaint(
        category="loss",
        service="express",
        insured=True,
        insured_amount=Decimal("1200.00"),
        declared_value=Decimal("1500.00"),
        freight=Decimal("18.00"),
        at=timezone.now(),
    )
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    url = f"{live_server.url}/tickets/{complaint.ticket_no}/"
    pid = complaint.pk

    # Branch staff open the ticket: the panel loads itself, prefilled from the shipment facts.
    branch = open_as(bob)
    branch.goto(url)
    panel = branch.locator(f"#claim-panel-{pid}")
    expect(panel).to_contain_text("暂无赔偿申请")
    form = panel.locator(f"#claim-form-{pid}")
    expect(form.locator(f"#f{pid}-insured_amount")).to_have_value("1200.00")
    expect(form.locator(f"#f{pid}-incident")).to_have_value("loss")
    # The quote follows the facts as they are typed (htmx, nothing stored yet).
    form.locator(f"#f{pid}-actual_loss").fill("1500.00")
    quote = panel.locator(".claim-live-quote .claim-quote-amount")
    expect(quote).to_have_text("¥1,200.00")  # the insured amount under the default policy
    form.locator(f"#f{pid}-note").fill("客户提供了购物发票，外包装完好但件已丢失。")
    assert not Claim.objects.exists()
    form.locator("button[type=submit]").click()

    claim_box = panel.locator("article.claim")
    expect(claim_box).to_have_attribute("data-status", "proposed")
    expect(panel.locator(".alert-success")).to_contain_text("已提交赔偿申请")
    expect(claim_box).to_contain_text("待审批")
    expect(claim_box).to_contain_text("赔付时限")
    # ¥1 200 is above the ¥500 limit: branch staff get no decision buttons.
    expect(claim_box.locator(".claim-approve")).to_have_count(0)
    claim = Claim.objects.get()
    assert (claim.status, claim.amount) == (ClaimStatus.PROPOSED, Decimal("1200.00"))
    assert claim.sla_next_check is not None  # the 72 h settlement timer runs

    # The supervisor approves it from the same panel.
    supervisor = open_as(sam)
    supervisor.goto(url)
    panel = supervisor.locator(f"#claim-panel-{pid}")
    claim_box = panel.locator(f"#claim-{claim.pk}")
    expect(claim_box).to_have_attribute("data-status", "proposed")
    claim_box.locator(".claim-approve input[name=note]").fill("发票金额属实，同意按保价赔付。")
    claim_box.locator(".claim-approve button[type=submit]").click()

    expect(claim_box).to_have_attribute("data-status", "approved")
    expect(claim_box.locator(".claim-status")).to_have_text("已批准")
    expect(claim_box.locator(".claim-timer")).to_contain_text("正常")  # 72 h to settle
    expect(panel.locator(".alert-success")).to_contain_text(f"已批准赔偿申请 #{claim.pk}")
    expect(claim_box.locator(".claim-approve")).to_have_count(0)
    expect(claim_box.locator(".claim-pay")).to_be_visible()  # next: record the payment
    claim_box.locator("details summary").click()
    expect(claim_box).to_contain_text("发票金额属实")
    panel.scroll_into_view_if_needed()
    screenshot(supervisor, "claim-panel-approved")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by == sam
    # Approval decides the amount; the settlement timer keeps running until payment.
    assert claim.sla_next_check is not None

    # The branch user's page shows the new state after the panel reloads.
    branch.reload()
    expect(branch.locator(f"#claim-{claim.pk}")).to_have_attribute("data-status", "approved")
    # … and the ticket's timeline the claim's steps, the proposal marked internal.
    timeline = branch.locator("#timeline")
    expect(timeline).to_contain_text("赔偿已批准 ¥1200.00")
    expect(timeline.locator(".timeline-internal")).to_contain_text("提出赔偿申请")
