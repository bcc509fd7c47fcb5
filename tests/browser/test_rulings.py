"""Issue 22 in a real browser: a supervisor rules on the ticket page, the branch disputes from a
390 px phone with a photo from its camera, the supervisor overturns, and the scorecard shows it.
"""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from rulings.models import Dispute, LedgerEntry
from tests.browser.layout import assert_thumb_friendly

# The rulings tests' fixtures (B-EAST-1, its clerk erin, the 2026 rule version, answered
# complaints), requested by name below.
from tests.rulings.conftest import answered, east, erin, rule  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "slategray").save(buffer, "JPEG")
    return {"name": "签收底单.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_ruling_disputed_from_a_phone_and_overturned_shows_on_the_scorecard(
    open_as, sam, live_server, screenshot, settings, tmp_path, request
):
    clerk, branch, make_answered = (
        request.getfixturevalue(n) for n in ("erin", "east", "answered")
    )
    settings.MEDIA_ROOT = tmp_path
    complaint = make_answered(at=timezone.now())

    # The supervisor rules: 有责 at 派送, B-EAST-1 (the handling unit, preselected), the reply.
    desk = open_as(sam)
    desk.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    panel = desk.locator(f"#ruling-panel-{complaint.pk}")
    expect(panel).to_contain_text("尚未判责")
    form = panel.locator(f"#ruling-form-{complaint.pk}")
    form.locator("input[name=verdict][value=at_fault]").check()
    form.locator("select[name=stage]").select_option("delivery")
    expect(form.locator("select[name=unit]")).to_have_value(str(branch.pk))
    expect(form.locator("input[name=replies]")).to_be_checked()
    form.locator("textarea[name=reason]").fill("派送员未按约定时间派送，快件滞留网点一天。")
    screenshot(desk, "ruling-form")
    form.locator("button[type=submit]").click()
    expect(panel.locator(".alert-success")).to_contain_text("扣款 ¥50.00，扣分 2.0")
    expect(panel.locator("article.ruling")).to_have_attribute("data-verdict", "at_fault")
    expect(panel.locator(".ruling-window")).to_contain_text("责任单位可于")

    # The branch clerk disputes on the phone, with a photo of the signed delivery slip.
    phone = open_as(clerk, phone=True)
    phone.goto(f"{live_server.url}/rulings/")
    link = phone.locator(".ruling-dispute-link")
    expect(link).to_be_visible()
    assert_thumb_friendly(phone)
    link.tap()
    expect(phone.locator("h1")).to_have_text("判责申诉")
    phone.locator("#id_reason").fill("签收底单显示客户本人于约定时间签收，派送无延误。")
    files = phone.locator("#id_files")
    assert files.get_attribute("capture") == "environment"  # the camera opens straight away
    files.set_input_files(_photo())
    expect(phone.locator(".file-chosen")).to_have_text("签收底单.jpg")
    assert_thumb_friendly(phone)
    screenshot(phone, "phone-dispute")
    phone.locator("form.dispute-form button[type=submit]").tap()
    expect(phone.locator(".dispute-status")).to_have_attribute("data-status", "pending")
    expect(phone.locator(".dispute-evidence")).to_contain_text("签收底单.jpg")
    assert_thumb_friendly(phone)
    dispute = Dispute.objects.get()
    assert dispute.evidence.get().content_type == "image/jpeg"

    # The supervisor finds it waiting and overturns it.
    desk.goto(f"{live_server.url}/rulings/")
    desk.locator(f'[data-dispute="{dispute.pk}"] a').click()
    desk.locator("input[name=outcome][value=overturn]").check()
    desk.locator("textarea[name=reason]").fill("底单属实，责任不成立。")
    desk.locator("form.decision-form button[type=submit]").click()
    expect(desk.locator(".alert-success")).to_have_text("已改判无责，原考核已冲销。")
    expect(desk.locator(".dispute-status")).to_have_attribute("data-status", "overturned")
    assert sum(e.amount for e in LedgerEntry.objects.filter(unit=branch)) == 0

    # The scorecard: the charge and its reversal net out, the dispute counts as won.
    desk.goto(f"{live_server.url}/rulings/scorecard/")
    row = desk.locator(f'.scorecard-table tr[data-code="{branch.code}"]')
    expect(row.locator(".sc-justified")).to_have_text("0")
    expect(row.locator(".sc-amount")).to_have_text("0.00")
    expect(row.locator(".sc-won")).to_have_text("1")
    screenshot(desk, "scorecard")
    row.locator("a").click()
    expect(desk.locator('tr[data-kind="charge"]')).to_contain_text(complaint.ticket_no)
    expect(desk.locator('tr[data-kind="reversal"]')).to_contain_text("-50.00")

    # The branch sees the same on its own phone.
    phone.goto(f"{live_server.url}/rulings/scorecard/")
    expect(phone.locator(f'tr[data-code="{branch.code}"] .sc-won')).to_have_text("1")
    assert_thumb_friendly(phone)
