"""The 处理人 in Chromium (issue 20 §2): a clerk takes a complaint on a phone (390 px); the unit
head gives one to a colleague, switches a colleague off duty and turns automatic assignment on
at 1366 px."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services
from complaints.models import Complaint, Role, StaffProfile
from tests.browser.layout import assert_thumb_friendly
from tests.conftest import _user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _at_branch_a(make_complaint, alice, org, **fields):
    complaint = make_complaint(at=timezone.now(), **fields)
    return services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)


def test_it_lets_a_clerk_take_a_complaint_on_a_phone(
    open_as, alice, bob, org, make_complaint, live_server, screenshot
):
    complaint = _at_branch_a(make_complaint, alice, org)
    page = open_as(bob, phone=True)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    expect(page.locator("#ticket-handler")).to_have_text("未分配")
    take = page.locator('button[data-action="take"]')
    expect(take).to_be_visible()
    assert take.bounding_box()["height"] >= 44
    take.tap()
    expect(page.locator("#action-alert")).to_contain_text("您已是该工单的处理人。")
    expect(page.locator("#ticket-handler")).to_have_text("bob")
    expect(page.locator('button[data-action="take"]')).to_have_count(0)
    assert_thumb_friendly(page)
    screenshot(page, "assignment-take-phone")
    assert Complaint.objects.get(pk=complaint.pk).handler_id == bob.pk

    # The queue shows who handles it; the team page counts it as bob's.
    page.goto(f"{live_server.url}/queue/")
    row = page.locator(f'[data-ticket="{complaint.ticket_no}"]')
    expect(row.locator(".queue-handler")).to_have_text("bob")
    page.locator("#team-link").tap()
    person = page.locator('[data-user="bob"]')
    expect(person.locator(".team-load")).to_have_text("在办 1")
    assert_thumb_friendly(page)
    screenshot(page, "assignment-team-phone")


def test_it_lets_the_head_assign_and_run_the_team(
    open_as, alice, bob, org, make_complaint, live_server, screenshot
):
    head = _user("hana", Role.BRANCH, org["a"])
    org["a"].head = head
    org["a"].save()
    complaint = _at_branch_a(make_complaint, alice, org)
    page = open_as(head)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    details = page.locator('details[data-action="assign"]')
    details.locator("summary").click()
    form = details.locator("form")
    form.locator("select").select_option(label="bob")
    form.locator("input[name=assign-reason]").fill("熟悉该片区")
    form.locator("button[type=submit]").click()
    expect(page.locator("#action-alert")).to_contain_text("处理人已更新。")
    expect(page.locator("#ticket-handler")).to_have_text("bob")
    expect(page.locator("#timeline")).to_contain_text("指派处理人：bob")
    screenshot(page, "assignment-assign-desktop")

    # The team: switch bob off duty, turn automatic assignment on with a cap of 5.
    page.goto(f"{live_server.url}/queue/team/")
    bob_card = page.locator('[data-user="bob"]')
    expect(bob_card.locator(".team-load")).to_have_text("在办 1")
    bob_card.get_by_role("button", name="设为不在岗").click()
    expect(page.locator(".alert-success")).to_contain_text("bob 已设为不在岗。")
    expect(page.locator('[data-user="bob"] .team-duty-state')).to_have_text("不在岗")
    page.locator("#team-auto").check()
    page.locator("#team-cap").fill("5")
    page.locator("#team-settings-save").click()
    expect(page.locator(".alert-success")).to_contain_text("自动分配设置已保存。")
    expect(page.locator("#team-auto-state")).to_contain_text("每人上限 5 件")
    screenshot(page, "assignment-team-desktop")
    assert not StaffProfile.objects.get(user=bob).on_duty
    org["a"].refresh_from_db()
    assert org["a"].auto_assign and org["a"].assign_cap == 5

    # A new complaint now goes to the head (bob is off duty).
    new = _at_branch_a(make_complaint, alice, org, tracking_no="ZT7000000301", phone="13600000301")
    assert Complaint.objects.get(pk=new.pk).handler_id == head.pk
