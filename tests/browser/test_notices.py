"""Staff notices in a real Chromium: the header badge refreshes itself and announces new ones."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kernel.models import Notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_notices(settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "NOTICE_POLL_SECONDS": 1}


def _notice(user, complaint, level, title):
    return Notice.objects.create(
        user=user,
        complaint_id=complaint.pk if complaint else None,
        level=level,
        title=title,
        body="请尽快处理。",
        created_at=timezone.now(),
    )


def test_it_counts_announces_and_marks_notices_read(
    open_as, bob, make_complaint, live_server, screenshot, fast_notices
):
    complaint = make_complaint(unit_code="A", at=timezone.now())
    warning = _notice(
        bob, complaint, "warning", f"【时限预警】工单{complaint.ticket_no}首次响应即将到期"
    )
    page = open_as(bob)  # lands on the queue
    badge = page.locator("#notice-count")
    expect(badge).to_contain_text("1")
    expect(page.locator("#toasts .toast")).to_have_count(0)  # old news is not announced

    # A breach arrives while the page is open: the badge and a red toast say so.
    title = f"【已超时】工单{complaint.ticket_no}首次响应已超时"
    _notice(bob, complaint, "breach", title)
    expect(badge).to_contain_text("2")
    toast = page.locator("#toasts .toast", has_text=title)
    expect(toast).to_be_visible()
    expect(toast).to_have_class("toast align-items-center border-0 show text-bg-danger")

    # The notices page: newest first; marking one read updates the header at once.
    page.locator("#notice-badge").click()
    expect(page.locator("h1")).to_have_text("站内通知")
    rows = page.locator("li.notice")
    expect(rows.first).to_contain_text(title)
    screenshot(page, "notices")
    rows.first.locator(".notice-mark-read").click()
    expect(page.locator("#notice-count")).to_contain_text("1")
    first = page.locator("li.notice").first
    expect(first).not_to_have_class("list-group-item notice notice-unread")
    expect(first.locator(".notice-mark-read")).to_have_count(0)
    expect(first).to_contain_text("已读")

    # Opening a notice opens its ticket and marks it read.
    page.locator(f"#notice-{warning.pk} button", has_text="查看工单").click()
    expect(page).to_have_url(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    expect(page.locator("#ticket-status")).to_be_visible()
    assert not Notice.objects.filter(user=bob, read_at__isnull=True).exists()
    expect(page.locator("#notice-badge")).not_to_contain_text("未读")
