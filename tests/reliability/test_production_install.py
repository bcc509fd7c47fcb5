"""The product runs from requirements.txt alone, in the production shape (issue 25).

From an environment with nothing but requirements.txt (tests/production_venv.py): migrate a new
database, pass `check --deploy`, start the web server (`python -m config.server`), a Celery
worker and beat on the test Redis, submit a complaint anonymously and one with a partner token,
and see each customer's SMS reach a local HTTP gateway through the outbox and the worker, and
the beat's sweep run on the worker. No log of any of them may hold a traceback: a missing
package shows as one (the web process's outbox kick), or as a worker that never gets ready.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest

from tests.production_venv import ROOT, process_environment, production_venv
from tests.web_server import free_port, stop_process_group

pytestmark = pytest.mark.integration

# Redis databases of this test alone: the other worker tests flush and use database 0.
BROKER_DB, CACHE_DB = 13, 14
GATEWAY_KEY = "install-test-gateway-key"
SUBMISSION = {
    "tracking_no": "SF7700000001",
    "complainant_name": "测试客户",
    "phone": "13800000077",
    "party": "recipient",
    "category": "delay",
    "description": "快件超时三天未送达，物流信息不更新。",
}


@pytest.fixture(scope="session")
def venv() -> Path:
    return production_venv()


@pytest.fixture
def database_url():
    """A new, empty database on the test server, dropped afterwards."""
    server = urllib.parse.urlparse(_env_url("DATABASE_URL"))
    name = f"install_test_{secrets.token_hex(4)}"
    admin = psycopg2.connect(server._replace(path="/postgres").geturl())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield server._replace(path=f"/{name}").geturl()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def redis_url():
    import redis

    base = urllib.parse.urlparse(_env_url("REDIS_URL"))
    for db in (BROKER_DB, CACHE_DB):
        redis.Redis.from_url(base._replace(path=f"/{db}").geturl()).flushdb()
    return lambda db: base._replace(path=f"/{db}").geturl()


def _env_url(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        pytest.fail(f"{name} is not set: run the tests through scripts/with-test-services.sh")
    return url


class Gateway(ThreadingHTTPServer):
    """A local SMS gateway: keeps every POST's headers and JSON body."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.messages: list[tuple[dict, dict]] = []


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.messages.append((dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet: the test reports what it needs
        pass


@pytest.fixture
def gateway():
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Stack:
    """The product's processes started from `venv`, each in its own process group and log."""

    def __init__(self, venv: Path, env: dict[str, str], logs: Path):
        self.venv, self.env, self.logs = venv, env, logs
        self.processes: dict[str, subprocess.Popen] = {}

    def command(self, name: str, *args: str, env: dict | None = None) -> str:
        """Run a command of the environment to its end; fail the test unless it succeeds."""
        done = subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        (self.logs / f"{name}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            pytest.fail(f"{name} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(self.venv / "bin" / args[0]), *args[1:]],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_for(self, what: str, condition, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := condition():
                return value
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"{name} exited ({process.returncode}):\n{self.log(name)[-6000:]}")
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}\n{self.tails()}")

    def tails(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):  # it exited, and its group with it
                stop_process_group(process, timeout=40)
        self.processes.clear()


@pytest.fixture
def stack(venv, database_url, redis_url, gateway, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        **process_environment(),
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url(BROKER_DB),
        "REDIS_URL": redis_url(CACHE_DB),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "OUTBOX_SMS_BACKEND": "kernel.outbox.backends.HttpSmsBackend",
        "OUTBOX_SMS_GATEWAY_URL": f"http://127.0.0.1:{gateway.server_port}/sms",
        "OUTBOX_SMS_GATEWAY_KEY": GATEWAY_KEY,
        "SLA_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    running = Stack(venv, env, logs)
    yield running
    running.stop()


def _post(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


PARTNER_TOKEN = """
from rest_framework.authtoken.models import Token
from django.contrib.auth import get_user_model
from complaints.models import Role, StaffProfile
user = get_user_model().objects.create_user("install-test-partner")
StaffProfile.objects.create(user=user, role=Role.PARTNER)
print(Token.objects.create(user=user).key)
"""


def test_the_product_runs_from_requirements_txt_alone(stack, gateway):
    stack.command("migrate", "python", "manage.py", "migrate", "--noinput")
    # The production settings as shipped (HTTPS redirect, secure cookies): no warning at all.
    stack.command(
        "check-deploy", "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    token = stack.command("token", "python", "manage.py", "shell", "-c", PARTNER_TOKEN).split()[-1]

    port = free_port()
    stack.env.update(
        {
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "2",
            "WEB_ACCESS_LOG": "1",
            # Plain HTTP on loopback, where the reverse proxy would end TLS.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
        }
    )
    stack.start("web", "python", "-m", "config.server")
    stack.start("worker", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1")
    schedule = str(stack.logs.parent / "celerybeat-schedule")
    stack.start(
        "beat", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"
    )
    base = f"http://127.0.0.1:{port}"
    stack.wait_for("the web server", lambda: _healthy(f"{base}/healthz"))
    stack.wait_for("the worker", lambda: "ready." in stack.log("worker"))
    stack.wait_for("the beat", lambda: "beat: Starting" in stack.log("beat"))

    url = f"{base}/api/v1/complaints/"
    tickets = {
        _post(url, SUBMISSION)["ticket_no"],
        _post(
            url,
            {**SUBMISSION, "tracking_no": "SF7700000002", "phone": "13800000078"},
            {"Authorization": f"Token {token}"},
        )["ticket_no"],
    }

    def delivered() -> set[str]:
        return {
            ticket
            for ticket in tickets
            for _headers, sms in gateway.messages
            if ticket in sms["text"]
        }

    stack.wait_for("the customers' SMS", lambda: delivered() == tickets, timeout=30)
    for headers, sms in gateway.messages:
        assert headers["Authorization"] == f"Bearer {GATEWAY_KEY}" and headers["X-Delivery-Id"]
        assert sms["phone"] in {"13800000077", "13800000078"}
    # The beat's schedule reaches the worker through Redis.
    stack.wait_for(
        "a sweep sent by the beat",
        lambda: (
            "Sending due task sla-sweep" in stack.log("beat")
            and re.search(r"Task \S+sla_sweep\[\S+\] succeeded", stack.log("worker"))
        ),
        timeout=30,
    )
    stack.stop()
    for path in sorted(stack.logs.glob("*.log")):
        text = path.read_text(errors="replace")
        assert "Traceback" not in text, f"{path.name}:\n{text[-6000:]}"
    assert "POST /api/v1/complaints/" in stack.log("web")
