# ruff: noqa: F811  (the imported `history` fixture is a test argument)
"""The supervisor dashboard in real headless Chromium: every chart drawn from its endpoint."""

from __future__ import annotations

import pytest

from dashboard.rollup import rollup_rebuild
from tests.dashboard.conftest import history  # noqa: F401  (the fixed history)

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ("chart-trend", "chart-categories", "chart-ranking", "chart-heatmap")


def _painted_pixels(page, chart_id: str) -> int:
    """How many pixels of the chart's canvas are not blank (ECharts draws on a canvas)."""
    return page.evaluate(
        """(id) => {
            const canvas = document.querySelector('#' + id + ' canvas');
            if (!canvas) return 0;
            const ctx = canvas.getContext('2d');
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }""",
        chart_id,
    )


def test_it_draws_the_dashboard_charts(open_as, screenshot, history, sam, live_server):
    rollup_rebuild()
    page = open_as(sam)
    page.goto(f"{live_server.url}/dashboard/?period=custom&start=2026-11-04&end=2026-11-17")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-drawn='1'] canvas")
    page.wait_for_timeout(300)
    for chart in CHARTS:
        assert _painted_pixels(page, chart) > 500, chart
    assert page.locator("[data-kpi='received'] .fs-5").inner_text() == "7"
    path = screenshot(page, "dashboard")
    assert path.stat().st_size > 10_000
    # The whole page too, charts and lists included (the fixture's shot is the first screen).
    page.screenshot(path=str(path.with_name("dashboard-full.png")), full_page=True)
    # One click from the live lists to the ticket page.
    link = page.locator("#list-claims a, #list-breached a, #list-statutory a").first
    if link.count():
        href = link.get_attribute("href")
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith(href)


def test_it_drills_down_from_the_ranking(open_as, history, sam, org, live_server):
    rollup_rebuild()
    page = open_as(sam)
    page.goto(f"{live_server.url}/dashboard/?period=custom&start=2026-11-04&end=2026-11-17")
    page.wait_for_selector("#chart-ranking[data-drawn='1'] canvas")
    page.select_option("#f-unit", str(org["region"].pk))
    page.click("#dash-filters button[type=submit]")
    page.wait_for_selector("#chart-ranking[data-drawn='1'] canvas")
    assert "测试区域" in page.locator(".breadcrumb").inner_text()
