"""Run the production web server (`python -m config.server`) on a free port against the test
database, as a context manager yielding its base URL. Used by the schema fuzzing and the
server's own tests; a traceback in the server's log fails the test (a 500 happened, whatever
the client saw)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def stop_process_group(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the process and its children; SIGKILL whatever is left after `timeout`."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def serving(tmp_path: Path, *, env: dict[str, str] | None = None, log: Path | None = None):
    port = free_port()
    log = log or tmp_path / "server.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "false",  # production settings
        "DJANGO_SECRET_KEY": "web-server-test-only",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "ERROR",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        **(env or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "config.server"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(log.read_text())
                time.sleep(0.1)
        else:
            pytest.fail("the web server did not start")
        yield base
    finally:
        stop_process_group(server, timeout=40)  # granian's own kill timeout is 30 s
        output = log.read_text(errors="replace")
        assert "Traceback" not in output, output[-5000:]
