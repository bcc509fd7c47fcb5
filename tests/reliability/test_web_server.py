"""The production web server (config/server.py) as clients meet it, before Django sees anything.

A request's head (request line and headers) up to 64 KiB reaches Django; a larger one, or one
with more than 100 header fields, is refused with 431, a malformed request with 400 — and the
server goes on serving. Kept-alive connections carry one request after another.
"""

from __future__ import annotations

import json
import socket

import pytest

from complaints.models import Complaint
from config import server
from tests.web_server import serving

SUBMISSION = {
    "tracking_no": "SF5100000001",
    "complainant_name": "测试客户",
    "phone": "13800000000",
    "party": "recipient",
    "category": "delay",
    "description": "快件超时三天未送达。",
}


def _exchange(base: str, *requests: bytes) -> list[bytes]:
    """Send each request on one connection; return each response's status line."""
    host, port = base.removeprefix("http://").split(":")
    lines = []
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        stream = sock.makefile("rb")
        for request in requests:
            sock.sendall(request)
            status = stream.readline().rstrip()
            lines.append(status)
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            stream.read(length)
    return lines


def _get(path: bytes = b"/healthz", headers: bytes = b"") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n"


def _post(body: dict) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode()
    return (
        b"POST /api/v1/complaints/ HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data)
    ) + data


@pytest.fixture
def base(transactional_db, org, tmp_path):
    with serving(tmp_path, env={"CACHE_URL": "locmem://", "REDIS_URL": ""}) as url:
        yield url


def test_it_serves_requests_one_after_another_on_a_kept_alive_connection(base):
    big_but_allowed = b"X-Trace: " + b"a" * 9000 + b"\r\n"
    assert _exchange(base, _get(), _post(SUBMISSION), _get(headers=big_but_allowed)) == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 201 Created",
        b"HTTP/1.1 200 OK",
    ]
    assert Complaint.objects.filter(tracking_no="SF5100000001").count() == 1


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (_get(headers=b"X-Big: " + b"a" * (server.HEAD_LIMIT_BYTES + 1) + b"\r\n"), b"431"),
        (_get(b"/api/v1/complaints/?q=" + b"a" * (server.HEAD_LIMIT_BYTES + 1)), b"431"),
        (_get(headers=b"".join(b"X-H%d: v\r\n" % i for i in range(101))), b"431"),
        (_get(b"/tickets/\xff\xfe/"), b"400"),
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
    ],
    ids=["header over the cap", "request line over the cap", "101 fields", "bad bytes", "junk"],
)
def test_it_refuses_what_is_not_a_sane_request_and_goes_on_serving(base, request_bytes, status):
    (answer,) = _exchange(base, request_bytes)
    assert answer.split()[1] == status
    assert _exchange(base, _get()) == [b"HTTP/1.1 200 OK"]


def test_its_command_line_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_PORT", "8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "1")
    monkeypatch.setenv("WEB_ACCESS_LOG", "1")
    command = server.from_environment()
    assert command[1:3] == ["-m", "granian"] and command[-1] == "config.wsgi:application"
    assert "--access-log" in command and "--respawn-failed-workers" in command
    for flag, value in {"--port": "8123", "--workers": "3", "--blocking-threads": "1"}.items():
        assert command[command.index(flag) + 1] == value, flag
