"""The agent's 待下发 list names the unit 智能分单 suggests, in a real Chromium at 1366 px."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services
from tests.conftest import new_complaint
from tracking.models import RoutingDecision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_console_shows_the_suggested_unit_beside_a_complaint_to_dispatch(
    open_as, screenshot, live_server, alice, org
):
    now = timezone.now()
    suggested, _ = services.complaint_create(
        data=new_complaint(tracking_no="SF7700000001"), by=alice, now=now
    )
    services.complaint_create(data=new_complaint(tracking_no="SF7700000002"), by=alice, now=now)
    RoutingDecision.objects.create(
        complaint=suggested,
        unit=org["a"],
        outcome="suggested",
        decided_at=now,
        rule_name="测试规则",
    )
    page = open_as(alice)
    page.goto(f"{live_server.url}/console/")
    row = page.locator("tr", has=page.get_by_role("link", name=suggested.ticket_no))
    badge = row.get_by_text(f"建议：{org['a'].name}")
    expect(badge).to_be_visible()
    assert badge.get_attribute("title") == "智能分单建议，在工单页一键采纳"
    assert page.locator("text=建议：").count() == 1  # only the complaint with a suggestion
    screenshot(page, "console-dispatch-suggestion-1366")
