"""The whole complaint loop as people do it, in a real Chromium (issue 4's "done when"): the
agent at a 1366 px screen, the branch clerk on a 390 px phone (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services
from complaints.models import Complaint, PersonalDataAccess, Status
from tests.conftest import GOOD_REPLY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VAGUE = "已妥投"


def _act(page, action: str, fields: dict[str, str] | None = None, selects=None, radios=()):
    """Open an action's panel on the ticket page, fill it and submit it (an htmx POST)."""
    details = page.locator(f'details[data-action="{action}"]')
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    form = page.locator(f'details[data-action="{action}"] form')
    for selector, value in (selects or {}).items():
        form.locator(selector).select_option(label=value)
    for selector in radios:
        form.locator(selector).check()
    for selector, value in (fields or {}).items():
        form.locator(selector).fill(value)
    form.locator("button[type=submit]").click()


def _status(page, label: str):
    try:
        expect(page.locator("#ticket-status")).to_have_text(label)
    except AssertionError:
        page.screenshot(path="var/screenshots/failure.png")
        print(page.locator("#ticket-panel").inner_text()[:3000])
        raise


def _reply(page, reply):
    _act(
        page,
        "reply",
        {
            "#id_reply-basic_facts": reply.basic_facts,
            "#id_reply-handling": reply.handling,
            "#id_reply-result": reply.result,
        },
    )


def test_it_walks_the_whole_loop_in_the_browser(
    open_as, alice, bob, org, live_server, screenshot, fast_queue, make_complaint
):
    # An earlier complaint on the same waybill, answered last week.
    earlier = make_complaint(
        tracking_no="ZT7000000001", phone="13600000009", at=timezone.now() - timedelta(days=3)
    )

    # Branch A already has work: one overdue (red), one at 83 % of its 24 h timer (amber).
    for hours, tracking in ((30, "ZT7000000101"), (20, "ZT7000000102")):
        older = make_complaint(
            tracking_no=tracking,
            phone=f"1360000{hours:04d}",
            at=timezone.now() - timedelta(hours=hours),
        )
        services.complaint_dispatch(complaint=older, unit=org["a"], by=alice, now=older.accepted_at)

    # The branch user has the queue open all day, on a phone.
    queue = open_as(bob, phone=True)
    expect(queue).to_have_url(f"{live_server.url}/queue/")
    expect(queue.locator("h1")).to_contain_text("网点工单队列")

    # The agent takes the phone complaint: waybill first, the history appears as typed.
    console = open_as(alice)
    expect(console).to_have_url(f"{live_server.url}/console/")
    console.fill("#id_tracking_no", "ZT7000000001")
    expect(console.locator("#earlier")).to_contain_text(earlier.ticket_no)
    expect(console.locator("#earlier")).to_contain_text("同运单")
    console.fill("#id_phone", "136 0000 0008")
    console.fill("#id_complainant_name", "测试来电人")
    console.select_option("#id_party", label="收件人")
    console.select_option("#id_category", label="损毁")
    console.select_option("#id_demand", label="赔偿")
    console.fill("#id_description", "收到时外箱破损，里面的两个陶瓷杯碎了，要求赔偿。")
    screenshot(console, "agent-console")
    console.click("#intake-form button[type=submit]")
    expect(console.locator("h1")).to_have_text("投诉已受理")
    ticket_no = console.locator("#ticket-no").inner_text()
    code = console.locator("#access-code").inner_text()
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    assert services.access_code_matches(complaint, code)
    assert complaint.repeat_of_id == earlier.pk

    # … and dispatches it to branch A.
    console.click("text=打开工单，下发处理")
    _status(console, "受理")
    _act(console, "dispatch", selects={"#id_dispatch-unit": "网点甲（A）"})
    _status(console, "核实")
    expect(console.locator("#action-alert")).to_contain_text("已下发")

    # The branch queue shows it within one poll, and announces it.
    row = queue.locator(f'tr[data-ticket="{ticket_no}"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(queue.locator("#toasts")).to_contain_text(ticket_no)
    expect(row).to_contain_text("重复")
    expect(row).to_contain_text("136****0008")
    expect(queue.locator("tr.level-breached")).to_contain_text("ZT7000000101")
    expect(queue.locator("tr.level-warning")).to_contain_text("ZT7000000102")
    screenshot(queue, "branch-queue")

    # Branch staff log a contact, then reply: the vague reply is refused first.
    row.locator("a").click()
    _status(queue, "核实")
    _act(
        queue,
        "contact",
        {"#id_contact-summary": "电话联系客户，说明将核实破损情况并致歉。"},
        selects={"#id_contact-method": "电话"},
    )
    expect(queue.locator("#action-alert")).to_contain_text("联系记录已保存")
    queue.fill("#id_reply-basic_facts", VAGUE)
    expect(queue.locator("#id_reply-basic_facts-error")).to_contain_text("模糊答复")
    queue.fill("#id_reply-handling", "已处理")
    queue.fill("#id_reply-result", "已解决")
    queue.locator('details[data-action="reply"] button[type=submit]').click()
    expect(queue.locator('details[data-action="reply"] .alert-danger')).to_contain_text(
        "答复不符合回复要素要求"
    )
    expect(queue.locator("#id_reply-basic_facts-error")).to_contain_text("模糊答复")
    expect(queue.locator("#id_reply-handling-error")).to_contain_text("处理经过")
    _status(queue, "核实")
    screenshot(queue, "reply-refused")
    queue.fill("#id_reply-basic_facts", GOOD_REPLY.basic_facts)
    queue.fill("#id_reply-handling", GOOD_REPLY.handling)
    queue.fill("#id_reply-result", GOOD_REPLY.result)
    queue.locator('details[data-action="reply"] button[type=submit]').click()
    _status(queue, "反馈")

    # The agent calls the customer back: not satisfied → back to the branch.
    console.reload()
    _status(console, "反馈")
    _act(
        console,
        "follow_up",
        {"#id_follow_up-customer_words": "赔偿方案不合理，要求重新处理。"},
        radios=["#id_follow_up-outcome_1"],
    )
    _status(console, "核实")
    expect(console.locator("#action-alert")).to_contain_text(
        "客户不满意，已重新下发至网点甲，处理时限"
    )
    expect(console.locator("#timeline")).to_contain_text("赔偿方案不合理")

    # The branch gets it back in its queue, and replies a second time.
    queue.goto(f"{live_server.url}/queue/")
    expect(queue.locator(f'tr[data-ticket="{ticket_no}"]')).to_contain_text("核实")
    queue.locator(f'tr[data-ticket="{ticket_no}"] a').click()
    _reply(queue, GOOD_REPLY)
    _status(queue, "反馈")

    # Satisfied follow-up → closed.
    console.reload()
    _act(console, "follow_up", radios=["#id_follow_up-outcome_0"])
    _status(console, "闭环")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert complaint.replies.count() == 2 and complaint.follow_ups.count() == 2

    # The full timeline, and the customer's data shown only after a recorded click.
    timeline = console.locator("#timeline")
    for text in ("受理", "下发", "联系客户", "处理答复", "回访：不满意", "重新下发", "闭环"):
        expect(timeline).to_contain_text(text)
    expect(console.locator("#personal-data")).to_contain_text("136****0008")
    console.click("#reveal-btn")
    expect(console.locator("#personal-data")).to_contain_text("13600000008")
    assert PersonalDataAccess.objects.filter(complaint=complaint, user=alice).count() == 1
    screenshot(console, "ticket-detail")
    console.locator("#timeline").scroll_into_view_if_needed()
    screenshot(console, "ticket-timeline")


def test_it_refuses_another_units_complaint_by_url(
    open_as, alice, carol, org, make_complaint, live_server
):
    complaint = make_complaint()
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    page = open_as(carol)
    response = page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("不存在")
    assert complaint.description not in page.content()


def test_it_shows_overdue_items_in_red(open_as, alice, bob, org, make_complaint, now, screenshot):
    overdue = make_complaint(at=now)  # 2026-11-16: long past its 24 h first-response deadline
    services.complaint_dispatch(complaint=overdue, unit=org["a"], by=alice, now=now)
    fresh = make_complaint(tracking_no="SF0000000777", phone="13800000777", at=timezone.now())
    services.complaint_dispatch(complaint=fresh, unit=org["a"], by=alice)
    page = open_as(bob)
    red = page.locator(f'tr[data-ticket="{overdue.ticket_no}"]')
    expect(red).to_have_class("queue-row level-breached")
    expect(red).to_contain_text("已超时")
    background = red.locator("td").nth(1).evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(248, 215, 218)", background
    green = page.locator(f'tr[data-ticket="{fresh.ticket_no}"]')
    expect(green).to_have_class("queue-row level-ok")
    # Keyboard: the first row's link is reachable with Tab and opens the ticket with Enter.
    rows = page.locator("tr.queue-row")
    assert rows.first.get_attribute("data-ticket") == overdue.ticket_no  # nearest deadline first


def test_it_tells_the_slower_of_two_agents_that_someone_acted_first(
    open_as, alice, sam, org, make_complaint, live_server
):
    complaint = make_complaint(at=timezone.now())
    url = f"{live_server.url}/tickets/{complaint.ticket_no}/"
    first, second = open_as(alice), open_as(sam)
    first.goto(url)
    second.goto(url)
    _act(first, "dispatch", selects={"#id_dispatch-unit": "网点甲（A）"})
    _status(first, "核实")
    # The second agent still sees 受理 and rejects it as a duplicate: refused, panel refreshed.
    _act(second, "reject", {"#id_reject-reason": "与另一工单重复"})
    expect(second.locator("#action-alert")).to_contain_text("有人先您一步处理了该工单")
    _status(second, "核实")
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING


def test_it_can_be_worked_with_the_keyboard(open_as, alice, bob, org, make_complaint, live_server):
    complaint = make_complaint(at=timezone.now())
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    page = open_as(bob)
    page.locator(f'tr[data-ticket="{complaint.ticket_no}"] a').focus()
    page.keyboard.press("Enter")
    _status(page, "核实")
    page.locator('details[data-action="contact"] > summary').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the method select
    page.keyboard.press("Tab")  # the "reached" checkbox
    page.keyboard.press("Tab")  # the summary
    page.keyboard.type("电话联系客户，告知正在核实。")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#action-alert")).to_contain_text("联系记录已保存")
    assert complaint.contacts.get().summary == "电话联系客户，告知正在核实。"
