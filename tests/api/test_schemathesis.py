"""schemathesis fuzzes the API from its own OpenAPI schema, against a really running server.

gunicorn serves the test database (the same PostgreSQL the suite runs on) on a free local port;
schemathesis generates valid and invalid requests for every operation from /api/schema/ and
checks: no 5xx, the status codes, content types, headers and bodies the schema documents.
Bounded by --max-time so that `make test` stays fast.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from complaints import services
from tests.conftest import new_complaint

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAX_SECONDS = int(os.environ.get("SCHEMATHESIS_MAX_SECONDS", "60"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def live_gunicorn(transactional_db, tmp_path):
    port = _free_port()
    log = Path(os.environ.get("SCHEMATHESIS_SERVER_LOG", tmp_path / "gunicorn.log"))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "schemathesis-run-only",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "MEDIA_ROOT": str(tmp_path / "media"),
        # The fuzzer is one client sending thousands of requests: lift the public limits.
        "API_THROTTLE_SUBMIT": "100000/min",
        "API_THROTTLE_CUSTOMER": "100000/min",
        "API_THROTTLE_CODE_GUESS": "100000/hour",
        "API_THROTTLE_PARTNER": "100000/min",
        "CACHE_URL": "locmem://",
        "REDIS_URL": "",
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            # The list's documented filters (a 200-character cursor, percent-encoded 4-byte
            # characters in every field) can exceed gunicorn's default 4094-byte request line,
            # which gunicorn itself refuses with an HTML 414. Production uses the same limit
            # (Dockerfile), so what the schema allows the server accepts.
            "--limit-request-line",
            "8190",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(log.read_text())
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        output = log.read_text(errors="replace")
        # A traceback in the server log means a 500 happened, whatever the client saw.
        assert "Traceback" not in output, output[-5000:]


@pytest.mark.skipif(shutil.which("schemathesis", path=str(BIN)) is None, reason="no schemathesis")
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_gunicorn, alice, org, tmp_path
):
    token = Token.objects.create(user=alice).key
    # A real ticket, so that the operations on one ticket get past 404 into the handling code.
    complaint, code = services.complaint_create(data=new_complaint(channel="api"), by=alice)
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\n"path.ticket_no" = "{complaint.ticket_no}"\n'
        f'"header.X-Access-Code" = "{code}"\n'
    )
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{live_gunicorn}/api/schema/",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Token {token}",
        "--max-examples",
        "30",
        "--max-time",
        str(MAX_SECONDS),
        # One worker: hypothesis' lambda reflection is not thread-safe on CPython 3.11.
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        # A fixed seed keeps CI reproducible; set SCHEMATHESIS_SEED to explore other inputs.
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261128"),
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=MAX_SECONDS + 60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
