"""`make run`'s stack really starts: web server, Celery worker and beat on SQLite.

This runs scripts/run-dev.sh (what `make run` starts after installing, migrating and seeding)
against a throwaway SQLite database and the embedded filesystem broker, then logs in.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.web_server import stop_process_group

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def dev_stack(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(_free_port()),
        "HOST": "127.0.0.1",
    }
    env.pop("CELERY_BROKER_URL", None)
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    process = subprocess.Popen(
        ["scripts/run-dev.sh"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{env['PORT']}", process
    finally:
        stop_process_group(process, timeout=20)


def _get(opener, url):
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return None, ""


def test_it_serves_the_login_page_with_worker_and_beat_running(dev_stack):
    base, process = dev_stack
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    assert _wait_for(lambda: _get(opener, f"{base}/accounts/login/")[0] == 200, 60)
    _status, page = _get(opener, f"{base}/accounts/login/")
    assert "登录" in page

    logs = ROOT / "var" / "log"
    assert _wait_for(lambda: "ready." in (logs / "worker.log").read_text(), 60)
    assert _wait_for(lambda: "beat: Starting" in (logs / "beat.log").read_text(), 30)
    assert process.poll() is None

    # A demo user logs in and lands on their queue.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "agent", "password": "demo-pass-2026"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request, timeout=10) as response:
        assert response.status == 200
        assert "客服工作台" in response.read().decode()
