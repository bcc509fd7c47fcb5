"""The work lists in Chromium (issue 20 §3): filters in the URL, saved views, bulk actions.

A branch clerk on a phone (390 px: the filters fold away behind a button) and an agent at
1366 px (select all, dispatch, save the filter set as a view with its count).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services
from complaints.models import Complaint, Note, SavedView
from tests.browser.layout import assert_thumb_friendly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_clerk_filters_and_adds_a_note_to_several_on_a_phone(
    open_as, alice, bob, org, make_complaint, live_server, screenshot
):
    now = timezone.now()
    made = []
    for i in range(3):
        complaint = make_complaint(at=now, tracking_no=f"ZT70000003{i:02d}", phone=f"1360000030{i}")
        made.append(
            services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
        )
    Complaint.objects.filter(pk__in=[c.pk for c in made[:2]]).update(chase_count=1)

    page = open_as(bob, phone=True)
    page.goto(f"{live_server.url}/queue/")
    form = page.locator("#filter-form")
    expect(form).to_be_hidden()  # folded away on a phone
    page.get_by_role("button", name="筛选").first.tap()
    expect(form).to_be_visible()
    page.locator("label[for=f-flag-chased]").tap()
    page.locator("#filter-apply").tap()
    page.wait_for_url(re.compile(r"/queue/\?flag=chased$"))
    rows = page.locator("tr.queue-row")
    expect(rows).to_have_count(2)
    assert_thumb_friendly(page)

    for row in rows.all():
        row.locator(".queue-pick-target").tap()
    expect(page.locator("#bulk-count")).to_have_text("（已选 2 件）")
    page.select_option("#bulk-action", "note")
    page.fill("#bulk-text", "已统一电话回复客户")
    screenshot(page, "queue-bulk-phone")
    page.locator("#bulk-submit").tap()
    expect(page.locator("#bulk-summary")).to_have_text("完成 2 件，未执行 0 件。")
    assert Note.objects.filter(by=bob, text="已统一电话回复客户").count() == 2
    page.locator("#bulk-back").tap()
    page.wait_for_url(re.compile(r"/queue/\?flag=chased"))


def test_an_agent_dispatches_all_on_the_page_and_saves_the_view(
    open_as, alice, org, make_complaint, live_server, screenshot
):
    now = timezone.now()
    fresh = [
        make_complaint(at=now, tracking_no=f"ZT70000004{i:02d}", phone=f"1360000040{i}")
        for i in range(3)
    ]
    page = open_as(alice)
    page.goto(f"{live_server.url}/queue/?status=accepted")
    expect(page.locator("#filter-form")).to_be_visible()  # always open on a desktop
    expect(page.locator("tr.queue-row")).to_have_count(3)

    page.locator("summary", has_text="保存当前筛选为视图").click()
    page.fill("#saved-view-form input[name=name]", "待下发")
    page.locator("#saved-view-form button[type=submit]").click()
    view = page.locator(".saved-view", has_text="待下发")
    expect(view.locator(".saved-view-count")).to_have_text("3")
    assert SavedView.objects.get(owner=alice).query == "status=accepted"

    page.locator("input[data-bulk-all]").check()
    expect(page.locator("#bulk-count")).to_have_text("（已选 3 件）")
    page.select_option("#bulk-action", "dispatch")
    page.select_option("#bulk-unit", "A")
    screenshot(page, "queue-bulk-agent")
    page.locator("#bulk-submit").click()
    expect(page.locator("#bulk-summary")).to_have_text("完成 3 件，未执行 0 件。")
    assert {c.unit_id for c in Complaint.objects.filter(pk__in=[c.pk for c in fresh])} == {
        org["a"].pk
    }
    page.locator("#bulk-back").click()
    expect(
        page.locator(".saved-view", has_text="待下发").locator(".saved-view-count")
    ).to_have_text("0")
