"""Branch staff on a phone (390 × 844, Chromium's mobile emulation) and the desktop header
(issue 17): the clerk's whole day with the thumb, and the page details of section 3."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from compensation.models import Claim, ClaimStatus
from complaints import services
from complaints.models import Complaint, Status
from regulators.models import Appeal
from tests import evidence_files
from tests.browser.layout import (
    assert_header_on_one_line,
    assert_thumb_friendly,
    contrast_ratio,
)
from tests.conftest import GOOD_REPLY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "saddlebrown").save(buffer, "JPEG")
    return {"name": "破损外箱.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def _open_action(page, action: str, *, tap: bool = False):
    details = page.locator(f'details[data-action="{action}"]')
    if not details.evaluate("d => d.open"):
        summary = details.locator("summary")
        summary.tap() if tap else summary.click()
    return details.locator("form")


def test_it_lets_a_branch_clerk_work_a_complaint_on_a_phone(
    open_as, alice, bob, org, make_complaint, live_server, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    at = timezone.now()

    # Branch A's morning: a lost parcel to handle, one long overdue, one answered and waiting
    # for the agent's follow-up call.
    def at_branch_a(hours_ago, **fields):
        complaint = make_complaint(at=at - timedelta(hours=hours_ago), **fields)
        return services.complaint_dispatch(
            complaint=complaint, unit=org["a"], by=alice, now=complaint.accepted_at
        )

    lost = at_branch_a(0, category="loss", freight=Decimal("18.00"))
    overdue = at_branch_a(30, tracking_no="ZT7000000201", phone="13600000201")
    answered = at_branch_a(72, tracking_no="ZT7000000202", phone="13600000202")
    services.complaint_reply(complaint=answered, by=bob, reply=GOOD_REPLY, now=answered.accepted_at)

    page = open_as(bob, phone=True)
    expect(page).to_have_url(f"{live_server.url}/queue/")

    # The navbar is a menu behind a button.
    dashboard_link = page.locator("#nav-menu >> text=本单位统计")
    expect(dashboard_link).to_be_hidden()
    page.locator(".navbar-toggler").tap()
    expect(dashboard_link).to_be_visible()
    expect(page.locator("#nav-menu")).to_contain_text("网点人员")
    expect(page.locator("#nav-menu")).to_have_class("navbar-collapse collapse show")  # opened
    screenshot(page, "phone-branch-menu")
    page.locator(".navbar-toggler").tap()
    expect(dashboard_link).to_be_hidden()

    # The queue is a list of cards: number, status, the countdown in its colour, badges.
    card = page.locator(f'tr[data-ticket="{lost.ticket_no}"]')
    assert card.evaluate("el => getComputedStyle(el).display") == "flex"
    expect(page.locator(".queue-table thead").first).to_be_hidden()
    expect(page.locator(f'tr.level-breached[data-ticket="{overdue.ticket_no}"]')).to_contain_text(
        "已超时"
    )
    # The answered one waits for the agent: apart, grey, not the branch's overdue.
    expect(page.locator("#queue-awaiting")).to_contain_text(answered.ticket_no)
    expect(page.locator(f'tr.level-agent[data-ticket="{answered.ticket_no}"]')).to_be_visible()
    expect(page.locator("#queue-overdue")).to_have_text("本单位已超时 1")
    assert_thumb_friendly(page)
    screenshot(page, "phone-branch-queue")

    # The ticket: details, then the actions, then the timeline.
    card.locator("a").tap()
    expect(page.locator("#ticket-status")).to_have_text("核实")
    assert_thumb_friendly(page)
    screenshot(page, "phone-ticket")

    # A call to the customer, logged with the thumb.
    form = _open_action(page, "contact", tap=True)
    form.locator("#id_contact-method").select_option(label="电话")
    form.locator("#id_contact-summary").fill("电话联系客户，说明正在查找快件并致歉。")
    form.locator("button[type=submit]").tap()
    expect(page.locator("#action-alert")).to_contain_text("联系记录已保存")
    assert_thumb_friendly(page)

    # The compensation proposal, with its live quote.
    pid = lost.pk
    panel = page.locator(f"#claim-panel-{pid}")
    expect(panel).to_contain_text("暂无赔偿申请")
    claim_form = panel.locator(f"#claim-form-{pid}")
    claim_form.locator(f"#f{pid}-actual_loss").fill("40.00")
    expect(panel.locator(".claim-live-quote .claim-quote-amount")).to_be_visible()
    claim_form.locator(f"#f{pid}-note").fill("客户提供了购物凭证。")
    claim_form.scroll_into_view_if_needed()
    assert_thumb_friendly(page)
    screenshot(page, "phone-claim-proposal")
    claim_form.locator("button[type=submit]").tap()
    expect(panel.locator("article.claim")).to_have_attribute("data-status", "proposed")
    assert Claim.objects.get(complaint=lost).status == ClaimStatus.PROPOSED

    # The three-part reply with a photo from the camera.
    page.locator("#ticket-panel").scroll_into_view_if_needed()
    form = _open_action(page, "reply", tap=True)
    photo = form.locator("#id_reply-file")
    assert photo.get_attribute("accept") == "image/*"
    assert photo.get_attribute("capture") is not None  # the camera opens straight away
    form.locator("#id_reply-basic_facts").fill(GOOD_REPLY.basic_facts)
    form.locator("#id_reply-handling").fill(GOOD_REPLY.handling)
    form.locator("#id_reply-result").fill(GOOD_REPLY.result)
    photo.set_input_files(_photo())
    expect(form.locator(".file-chosen")).to_have_text("破损外箱.jpg")
    assert_thumb_friendly(page)
    screenshot(page, "phone-reply")
    form.locator("button[type=submit]").tap()
    expect(page.locator("#ticket-status")).to_have_text("反馈")
    expect(page.locator("#timeline")).to_contain_text("破损外箱.jpg")
    lost.refresh_from_db()
    assert lost.status == Status.ANSWERED
    assert lost.attachments.get().content_type == "image/jpeg"
    assert_thumb_friendly(page)

    # Back in the queue it is waiting for the agent now.
    page.goto(f"{live_server.url}/queue/")
    expect(page.locator("#queue-awaiting")).to_contain_text(lost.ticket_no)
    assert_thumb_friendly(page)


@pytest.mark.parametrize("persona", ["alice", "bob", "sam"])
def test_it_keeps_the_header_on_one_line_at_1366(open_as, persona, request, live_server):
    page = open_as(request.getfixturevalue(persona))
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    pages = [link.get_attribute("href") for link in page.locator("#nav-menu .nav-link").all()]
    for path in [*pages, "/notices/", "/search/?q=SF1234567890"]:
        page.goto(f"{live_server.url}{path}")
        assert_header_on_one_line(page)


def test_it_moves_on_when_a_scanner_presses_enter_in_the_waybill(
    open_as, alice, make_complaint, live_server
):
    earlier = make_complaint(tracking_no="ZT7000000301", phone="13600000301")
    page = open_as(alice)
    page.locator("#id_tracking_no").click()
    page.keyboard.type("ZT7000000301")
    page.keyboard.press("Enter")  # what a barcode scanner sends after the number
    expect(page.locator("#id_phone")).to_be_focused()
    expect(page.locator("#earlier")).to_contain_text(earlier.ticket_no)
    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.locator(".is-invalid")).to_have_count(0)  # nothing was submitted
    assert Complaint.objects.count() == 1


def test_it_suggests_the_earlier_unit_and_filters_the_unit_picker(
    open_as, alice, org, make_complaint, live_server, screenshot
):
    earlier = make_complaint(tracking_no="ZT7000000401", at=timezone.now() - timedelta(days=2))
    services.complaint_dispatch(complaint=earlier, unit=org["b"], by=alice)
    complaint = make_complaint(tracking_no="ZT7000000401", phone="13600000401", at=timezone.now())
    page = open_as(alice)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    form = _open_action(page, "dispatch")
    select = form.locator("#id_dispatch-unit")
    expect(select).to_have_value(str(org["b"].pk))
    expect(form.locator(".unit-suggestion")).to_contain_text(earlier.ticket_no)
    labels = select.locator("option").all_inner_texts()
    assert labels == ["请选择单位", "网点甲（A）", "网点乙（B）"]  # branches only
    screenshot(page, "dispatch-picker")
    form.locator(".unit-filter").fill("甲")
    assert select.locator("option").all_inner_texts() == ["请选择单位", "网点甲（A）"]
    expect(select).to_have_value(str(org["a"].pk))  # the one match is chosen
    form.locator("button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_have_text("核实")
    complaint.refresh_from_db()
    assert complaint.unit == org["a"]


def test_it_shows_an_overdue_countdown_legibly(open_as, alice, make_complaint, now, live_server):
    complaint = make_complaint(at=now)  # 2026-11-16: long past its first-response deadline
    page = open_as(alice)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    countdown = page.locator("#ticket-clock .countdown")
    expect(countdown).to_contain_text("已超时")
    ratio = contrast_ratio(countdown)
    assert ratio >= 4.5, ratio  # WCAG AA for normal text


def test_it_registers_a_forwarded_appeal_in_the_browser(
    open_as, sam, make_complaint, live_server, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    complaint = make_complaint(tracking_no="ZT7000000501", phone="13600000501")
    page = open_as(sam)
    page.goto(f"{live_server.url}/regulators/appeals/")
    page.locator("#appeal-new").click()
    page.fill("#id_case_no", "SG-2026-1201")
    page.fill("#id_regulator_received_on", f"{timezone.localdate() - timedelta(days=2):%Y-%m-%d}")
    page.select_option("#id_province", label="广东")
    page.fill("#id_tracking_no", "ZT7000000501")
    page.fill("#id_appellant_name", "测试申诉人")
    page.fill("#id_appellant_phone", "13600000501")
    page.fill("#id_facts", "投诉后7日未获答复。")
    page.fill("#id_request", "要求赔偿并道歉。")
    page.locator("#id_documents").set_input_files(
        {"name": "转办单.pdf", "mimeType": "application/pdf", "buffer": evidence_files.pdf()}
    )
    expect(page.locator(".file-chosen")).to_have_text("转办单.pdf")
    screenshot(page, "appeal-register")
    page.locator("#appeal-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已登记申诉 SG-2026-1201")
    expect(page.locator('tr[data-appeal="SG-2026-1201"]')).to_contain_text(complaint.ticket_no)
    screenshot(page, "appeals")
    appeal = Appeal.objects.get(case_no="SG-2026-1201")
    assert appeal.complaint == complaint
    assert [e.action for e in appeal.events.all()] == ["register"]
    assert appeal.regulator_received_on == timezone.localdate() - timedelta(days=2)
    assert complaint.attachments.get().original_name == "转办单.pdf"
