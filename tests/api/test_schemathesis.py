"""schemathesis fuzzes the API from its own OpenAPI schema, against a really running server.

The production web server (config/server.py) serves the test database (the same PostgreSQL
the suite runs on) on a free local port; schemathesis generates valid and invalid requests
for every operation from /api/schema/ and checks: no 5xx, the status codes, content types,
headers and bodies the schema documents. Bounded by --max-time so that `make test` stays fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from complaints import services
from tests.conftest import new_complaint
from tests.web_server import serving

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


@pytest.fixture
def web_server(transactional_db, tmp_path):
    log = os.environ.get("SCHEMATHESIS_SERVER_LOG")
    env = {
        # The fuzzer is one client sending thousands of requests: lift the public limits.
        "API_THROTTLE_SUBMIT": "100000/min",
        "API_THROTTLE_CUSTOMER": "100000/min",
        "API_THROTTLE_CODE_GUESS": "100000/hour",
        "API_THROTTLE_PARTNER": "100000/min",
        "CACHE_URL": "locmem://",
        "REDIS_URL": "",
    }
    # The production server and its limits (config/server.py): what the schema allows (a
    # 200-character cursor, percent-encoded 4-byte characters in every filter) it accepts.
    with serving(tmp_path, env=env, log=Path(log) if log else None) as base:
        yield base


@pytest.mark.skipif(shutil.which("schemathesis", path=str(BIN)) is None, reason="no schemathesis")
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    web_server, alice, org, tmp_path
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
        f"{web_server}/api/schema/",
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
