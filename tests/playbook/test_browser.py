"""The `::` picker and the macro bar in a real Chromium, keyboard only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from complaints import services as complaint_services
from complaints.models import Note
from playbook import services
from playbook.models import ReplyTemplate
from tests.browser.layout import assert_thumb_friendly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("phone", [False, True], ids=["1366px", "390px"])
def test_it_fills_a_reply_from_the_picker_with_the_keyboard(
    open_as, alice, bob, org, make_complaint, reply_template, live_server, screenshot, phone
):
    complaint = make_complaint()
    complaint_services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    page = open_as(bob, phone=phone)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")

    # A branch clerk's ticket opens with the reply form unfolded.
    facts = page.locator("#id_reply-basic_facts")
    expect(facts).to_be_visible()
    facts.focus()
    page.keyboard.type("::延误")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_contain_text(reply_template.title)
    expect(page.locator("#macro-panel a")).to_have_text("维护答复模板")  # the bar has loaded
    screenshot(page, "playbook-picker-phone" if phone else "playbook-picker")
    if phone:
        assert_thumb_friendly(page)
    page.keyboard.press("Enter")

    expect(facts).to_have_value(
        f"经查，您于{_accepted(complaint)}反映的运单SF1234567890因中转延误滞留网点甲。"
    )
    expect(page.locator("#id_reply-handling")).to_have_value(
        "网点甲投诉专员已电话联系测先生/女士，说明原因并致歉，安排专人派送。"
    )
    expect(listbox).to_have_count(0)
    # The text stays editable, and the use is on record.
    page.keyboard.type("补充")
    expect(facts).to_have_value(re.compile("滞留网点甲。补充$"))
    assert ReplyTemplate.objects.get().use_count == 1
    if phone:
        assert_thumb_friendly(page)


def test_an_agent_runs_a_macro_from_the_ticket(open_as, alice, sam, make_complaint, live_server):
    contact = services.template_save(
        by=sam,
        data=services.TemplateInput(
            kind="contact",
            title="首次联系",
            text="已电话联系{客户称呼}，告知运单{运单号}的投诉已受理，正在核实。",
        ),
    )
    macro = services.macro_save(
        by=sam,
        data=services.MacroInput(
            title="加急处理",
            priority="urgent",
            priority_reason="客户情绪激动",
            note="请优先处理。",
            template_id=contact.pk,
        ),
    )
    complaint = make_complaint()
    page = open_as(alice)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")

    button = page.locator(f'#macro-panel button[data-macro="{macro.pk}"]')
    button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text="已执行宏")).to_contain_text(
        "优先级、内部备注、模板"
    )
    # The template it brings opens in its form, filled and editable.
    expect(page.locator("#id_contact-summary")).to_have_value(
        "已电话联系测先生/女士，告知运单SF1234567890的投诉已受理，正在核实。"
    )
    complaint.refresh_from_db()
    assert complaint.priority == "urgent"
    assert Note.objects.get(complaint=complaint).text == "请优先处理。"


def _accepted(complaint) -> str:
    return services.complaint_values(complaint)["受理时间"]
