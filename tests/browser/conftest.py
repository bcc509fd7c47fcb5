"""A real headless Chromium (Debian's package) driven by Playwright against live_server.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
thread with a running loop unless told it is safe, which it is here (one thread, sync code).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
# A branch clerk's phone: Chromium's mobile emulation (touch, a phone's pixel ratio).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
PASSWORD = "pw-for-tests-only"  # tests/conftest.py gives every persona this password


# Package scope: the browser (and Playwright's event loop in this thread) stops after the
# browser tests, so the tests after them run in a plain sync thread again.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does)")
    vendor = Path(django_settings.BASE_DIR) / "static" / "vendor" / "htmx" / "htmx.min.js"
    if not vendor.exists():
        pytest.fail("static/vendor is missing: run `make assets` (make test does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
        # While Playwright's loop runs in this thread, Django (asgiref's Local) keeps the
        # thread's database connections in a context variable, not the thread-local slot
        # pytest-django set up. Close them while that is still so: left open, the connection
        # outlives the loop, nobody can reach it, and the test database stays "accessed by other
        # users" when pytest-django drops it at the end of the run.
        connections.close_all()


@pytest.fixture
def open_as(browser, live_server):
    """Open a fresh browser session, log in through the login form as `user`, return the page.

    `phone=True` opens it on a 390 × 844 phone instead of a 1366 × 768 screen.
    """
    contexts = []

    def login(user, *, phone: bool = False):
        screen = PHONE if phone else {"viewport": VIEWPORT}
        context = browser.new_context(**screen, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield login
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
def fast_queue(settings):
    """Poll the queue every 2 s instead of 30 s so the test needs not wait."""
    settings.COMPLAINTS = {**settings.COMPLAINTS, "QUEUE_POLL_SECONDS": 2}
