"""The 监管指标 page and the enquiry desk in real headless Chromium."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Complaint
from enquiries.models import Enquiry
from regulators.models import Appeal, ParcelVolume
from tests.browser.test_dashboard import _painted_pixels
from tests.regulators.conftest import new_appeal

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_indicators_page_shows_the_worked_example_with_its_charts(
    open_as, screenshot, sam, org, now, live_server
):
    from regulators import services

    ParcelVolume.objects.create(month=date(2026, 11, 1), parcels=40_000_000, source="admin")
    made = [
        services.appeal_register(
            data=new_appeal(
                case_no=f"SG-{i}", tracking_no=f"TEST{i:06d}", appellant_phone=f"139000{i:05d}"
            ),
            by=sam,
            now=now,
        )
        for i in range(66)
    ]
    Complaint.objects.filter(pk__in=[a.complaint_id for a in made[:4]]).update(justified=True)
    Appeal.objects.filter(pk__in=[a.pk for a in made[:3]]).update(outcome="resolved")

    page = open_as(sam)
    page.click("text=监管指标")
    page.fill("#f-period", "2026-11")
    page.click("#indicator-filters button[type=submit]")
    page.wait_for_load_state()
    for chart in ("chart-rate-trend", "chart-types"):
        page.wait_for_selector(f"#{chart}[data-drawn='1'] canvas")
    page.wait_for_timeout(300)

    value = "[data-metric='{}'] [data-value]"
    assert page.locator(value.format("appeal_rate")).inner_text() == "1.65"
    assert page.locator(value.format("effective_rate")).inner_text() == "0.10"
    assert page.locator(value.format("satisfaction")).inner_text() == "75.0"
    for chart in ("chart-rate-trend", "chart-types"):
        assert _painted_pixels(page, chart) > 500, chart
    assert screenshot(page, "regulator-indicators").stat().st_size > 10_000
    with page.expect_download() as download:
        page.click("#indicators-xlsx")
    assert download.value.suggested_filename == "regulator-indicators-2026-11-company.xlsx"


def test_an_agent_records_an_enquiry_and_a_second_call_converts_it(
    open_as, screenshot, alice, org, live_server
):
    page = open_as(alice)
    page.click("text=查件咨询")
    for _call in range(2):
        page.fill("#e-tracking", "SF1234567890")
        page.fill("#e-phone", "13900000001")
        page.fill("#e-question", "快件三天没有更新物流信息，请问到哪里了？")
        page.click("#enquiry-submit")
        page.wait_for_load_state()
        if _call == 0:
            assert "已登记查件咨询" in page.inner_text("body")
            assert page.locator("#open-enquiries tbody tr").count() == 1
            assert not Complaint.objects.exists()

    assert "同一运单再次来电：已转为投诉" in page.inner_text("body")
    enquiry = Enquiry.objects.select_related("complaint").get()
    assert page.locator("#converted-enquiries a").inner_text() == enquiry.complaint.ticket_no
    screenshot(page, "enquiry-desk")


def test_a_bad_enquiry_shows_the_field_errors(open_as, alice, org, live_server):
    page = open_as(alice)
    page.goto(f"{live_server.url}/enquiries/")
    page.fill("#e-tracking", "SF1234567890")
    page.fill("#e-phone", "123")
    page.click("#enquiry-submit")
    page.wait_for_load_state()

    assert page.locator("#e-phone.is-invalid").count() == 1
    assert page.locator("#e-question.is-invalid").count() == 1
    assert page.input_value("#e-tracking") == "SF1234567890"
    assert not Enquiry.objects.exists()
