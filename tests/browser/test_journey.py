"""The waybill's journey from the demo TMS, in a real Chromium (issue 21's "done when").

As `make run` has it: seed_demo writes the demo TMS's waybills, the simulator runs as its own
process (answering pulls on a Unix socket, pushing the scans to the app, signed), a real Celery
worker pulls when a complaint is accepted. The agent types a demo waybill signed without a 派件:
the scans and the 疑似虚假签收 flag appear beside intake; once accepted, the complaint is routed
to the signing branch by itself, and the ticket shows the journey with the complaint's moments.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from complaints.models import Complaint, Status
from tests.escalation.test_workers import ROOT, Stack, _database_url, wait_for
from tracking.models import ScanEvent

from .conftest import VIEWPORT

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-pass-2026"  # seed_demo's public demo password


@pytest.fixture
def demo_stack(tmp_path, settings, live_server):
    """seed_demo's data, the demo TMS process and a Celery worker, wired as run-local.sh does."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("REDIS_URL is not set: run the tests through scripts/with-test-services.sh")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    data, sock = tmp_path / "demo-tms.json", str(tmp_path / "tms.sock")
    pull_url = f"http+unix://{quote(sock, safe='')}/waybills/{{waybill}}/events"
    settings.TRACKING = {**settings.TRACKING, "DEMO_DATA": str(data), "PULL_URL": pull_url}
    settings.DEBUG = True  # seed_demo refuses production settings (public passwords)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DB_CONN_MAX_AGE": "0",
        "TRACKING_DEMO_DATA": str(data),
        "TRACKING_PULL_URL": pull_url,
    }
    stack = Stack(env, tmp_path)
    log = open(tmp_path / "demo-tms.log", "ab")  # noqa: SIM115 — closed with the process
    tms = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "demo_tms",
            "--socket",
            sock,
            "--interval",
            "1",
            "--push-url",
            f"{live_server.url}/api/v1/tracking/events/",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.worker("w1")
    yield stack
    tms.terminate()
    tms.wait(timeout=15)
    stack.stop_all()


def _login(browser, live_server, username: str):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_the_journey_from_the_demo_tms_on_intake_and_on_the_ticket(
    browser, live_server, demo_stack, screenshot
):
    # The simulator pushes every scan whose time has come (the demo waybills' journeys).
    wait_for(
        lambda: ScanEvent.objects.filter(waybill="DEMO100000001").count() >= 8,
        timeout=60,
        stack=demo_stack,
        what="the demo TMS's push",
    )
    context, console = _login(browser, live_server, "agent")
    try:
        # Intake: the scans and the flag appear as the waybill is typed.
        console.fill("#id_tracking_no", "DEMO100000001")
        journey = console.locator("#journey")
        expect(journey).to_contain_text("疑似虚假签收")
        expect(journey).to_contain_text("西区第一营业部")
        expect(journey.locator(".journey-scan").first).to_contain_text("签收")
        console.fill("#id_phone", "13900000077")
        console.fill("#id_complainant_name", "测试客户")
        console.select_option("#id_party", label="收件人")
        console.select_option("#id_category", label="误投/虚假签收")
        console.fill("#id_description", "系统显示已签收，但本人没有收到，也没有人代收。")
        screenshot(console, "journey-intake")
        console.click("#intake-form button[type=submit]")
        expect(console.locator("h1")).to_have_text("投诉已受理")
        ticket_no = console.locator("#ticket-no").inner_text()

        # The worker pulls from the TMS and 智能分单 sends it to the signing branch.
        complaint = wait_for(
            lambda: Complaint.objects.filter(ticket_no=ticket_no, status=Status.VERIFYING).first(),
            timeout=60,
            stack=demo_stack,
            what="the automatic dispatch",
        )
        assert complaint.unit.code == "B-WEST-1"

        console.goto(f"{live_server.url}/tickets/{ticket_no}/")
        expect(console.locator("#ticket-status")).to_have_text("核实")
        panel = console.locator("#journey-panel")
        expect(panel.locator("#journey-facts")).to_contain_text("签收前没有该网点的派件扫描")
        expect(panel.locator("#routing-decision")).to_contain_text("已自动下发")
        expect(panel.locator(".journey-milestone").first).to_contain_text("下发至 西区第一营业部")
        assert panel.locator(".journey-step").count() >= 10
        expect(console.locator("#timeline")).to_contain_text("智能分单：规则")
        screenshot(console, "journey-ticket")

        # A seeded delay complaint: its parcel has sat at a hub for days.
        stuck = Complaint.objects.filter(tracking_no__startswith="DEMO", category="delay").first()
        console.goto(f"{live_server.url}/tickets/{stuck.ticket_no}/")
        expect(console.locator("#journey-facts")).to_contain_text("滞留")
    finally:
        context.close()
