"""schemathesis fuzzes the API from its own OpenAPI schema, against a really running server.
The schema it reads carries the calendar's edges as examples of every date (issue 19 §6).

The production web server (config/server.py) serves the test database (the same PostgreSQL
the suite runs on) on a free local port; schemathesis generates valid and invalid requests
for every operation from /api/schema/ and checks: no 5xx, the status codes, content types,
headers and bodies the schema documents. Bounded by --max-time so that `make test` stays fast.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
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


# Dates at the ends of the calendar (issue 19 §6): year 1 and 9999, and the offsets that push
# them over the edge once converted (+14:00, -12:00). The fuzzer seldom draws them by itself,
# so the schema it reads carries them as examples, which its examples phase always sends.
EDGE_DATETIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999+14:00",
]
EDGE_DATES = ["0001-01-01", "9999-12-31"]
EDGE_CURSORS = [  # base64 of "d|<deadline>|<id>", the list's cursor
    base64.urlsafe_b64encode(f"d|{when}|1".encode()).decode().rstrip("=") for when in EDGE_DATETIMES
]


def _fetch_schema(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/schema/?format=json", timeout=30) as response:
        return json.load(response)


def _named(values) -> dict:
    return {f"edge{n}": {"value": value} for n, value in enumerate(values)}


def with_edge_examples(schema: dict) -> dict:
    """The API's own schema, with the calendar's edges as examples of every date input."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                fmt = parameter.get("schema", {}).get("format")
                if fmt == "date-time":
                    parameter["examples"] = _named(EDGE_DATETIMES)
                elif fmt == "date":
                    parameter["examples"] = _named(EDGE_DATES)
                elif parameter.get("name") == "cursor":
                    parameter["examples"] = _named(EDGE_CURSORS)
    for name, component in schema["components"]["schemas"].items():
        for field, prop in component.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            if prop.get("format") == "date-time":
                prop["example"] = EDGE_DATETIMES[0]
            elif prop.get("format") == "date":
                prop["example"] = EDGE_DATES[0]
            elif field == "cursor" and name.endswith("Request"):
                prop["example"] = EDGE_CURSORS[1]
    return schema


def test_the_schema_carries_the_calendar_edges_as_examples(tmp_path, db):
    from django.test import Client

    schema = with_edge_examples(json.loads(Client().get("/api/schema/?format=json").content))
    listing = schema["paths"]["/api/v1/complaints/"]["get"]["parameters"]
    examples = {p["name"]: p.get("examples") for p in listing}
    assert [e["value"] for e in examples["created_after"].values()] == EDGE_DATETIMES
    assert [e["value"] for e in examples["cursor"].values()] == EDGE_CURSORS
    eligibility = schema["components"]["schemas"]["EligibilityInputRequest"]["properties"]
    assert eligibility["complained_at"]["example"] == EDGE_DATETIMES[0]
    assert eligibility["as_of"]["example"] == EDGE_DATES[0]


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
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(with_edge_examples(_fetch_schema(web_server))))
    command = [
        str(BIN / "schemathesis"),
        "run",
        str(schema),
        "--url",
        web_server,
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
