"""The search box in Chromium (issue 20 §4): a branch clerk on a phone (390 px) finds the unit's
complaint by the last four digits of the phone; a supervisor at 1366 px pages through words."""

from __future__ import annotations

from playwright.sync_api import expect

from complaints import services

from .layout import assert_header_on_one_line, assert_thumb_friendly


def test_a_branch_clerk_finds_a_complaint_by_the_last_digits_on_a_phone(
    open_as, bob, alice, org, make_complaint, live_server
):
    mine = make_complaint(tracking_no="YT0000000301", phone="13900000088")
    theirs = make_complaint(tracking_no="YT0000000302", phone="13900000088")
    services.complaint_dispatch(complaint=mine, unit=org["a"], by=alice)
    services.complaint_dispatch(complaint=theirs, unit=org["b"], by=alice)
    page = open_as(bob, phone=True)
    page.goto(f"{live_server.url}/search/")
    page.fill("#q", "0088")
    page.press("#q", "Enter")
    page.wait_for_load_state()
    results = page.locator("#search-results")
    expect(results).to_contain_text(mine.ticket_no)
    expect(results).to_contain_text("139****0088")
    expect(results).not_to_contain_text(theirs.ticket_no)
    assert "0088" not in page.url  # posted: the digits never sit in the address
    assert_thumb_friendly(page)


def test_a_supervisor_pages_through_a_two_word_search(open_as, sam, make_complaint, live_server):
    for i in range(23):
        make_complaint(
            tracking_no=f"YT00000004{i:02d}",
            phone=f"139000004{i:02d}",
            description="外包装破损，要求赔偿。",
        )
    page = open_as(sam)
    page.goto(f"{live_server.url}/search/")
    page.fill("#q", "破损 赔偿")
    page.press("#q", "Enter")
    expect(page.locator("tr.search-row")).to_have_count(20)
    assert_header_on_one_line(page)
    page.click("text=下一页")
    expect(page.locator("tr.search-row")).to_have_count(3)
    expect(page.locator("#q")).to_have_value("破损 赔偿")
    assert page.url.endswith("/search/")
