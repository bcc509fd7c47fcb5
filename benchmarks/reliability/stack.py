"""The whole production stack on this machine, as separate processes that can be hurt.

A durable PostgreSQL cluster (fsync and synchronous commit on, run as the `postgres` user when
we are root), Redis, the web server (granian, config/server.py), Celery workers and beats, and
a fake SMS / webhook receiver, all on 127.0.0.1 and free ports, in one temporary folder. Every
process is started in its own session, so `stop_all()` (called from a `finally` and on SIGTERM /
SIGINT) ends it with its children; nothing outlives a run, a failed one included.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from config import server

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (0 when gone)."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(path) as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(path.split("/")[2]))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Stack:
    # As the Dockerfile runs it (config/server.py): one process per core, two threads each.
    web_workers: int = 2
    web_threads: int = 2
    worker_concurrency: int = 2
    sweep_seconds: float = 5.0
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="complaints-reliability."))
        os.chmod(self.dir, 0o755)
        self.media = self.dir / "media"
        self.media.mkdir()
        self.pg_port, self.redis_port = free_port(), free_port()
        self.web_port, self.receiver_port = free_port(), free_port()
        self.proxy_port: int | None = None
        self.procs: dict[str, Proc] = {}
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.log(f"work folder {self.dir}")

    # --- Environment shared by every app process ----------------------------------------

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/complaints"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def base_url(self) -> str:
        """Where clients go: the reverse proxy when it runs (as in production), else the web."""
        return f"http://127.0.0.1:{self.proxy_port or self.web_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.redis_url,
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": "reliability-suite-only",
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "SECURE_SSL_REDIRECT": "false",
                "LOG_LEVEL": "WARNING",
                "MEDIA_ROOT": str(self.media),
                # The generator sends everything from one address: lift the limits (they are
                # still counted, in Redis, on every request).
                "API_THROTTLE_SUBMIT": "10000000/min",
                "API_THROTTLE_PARTNER": "10000000/min",
                "API_THROTTLE_CUSTOMER": "10000000/min",
                "OUTBOX_SMS_BACKEND": "kernel.outbox.backends.HttpSmsBackend",
                "OUTBOX_SMS_GATEWAY_URL": f"{self.receiver_url}/sms",
                "OUTBOX_SMS_GATEWAY_KEY": "reliability",
                "SLA_SWEEP_SECONDS": str(self.sweep_seconds),
                "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)

    # --- PostgreSQL (durable) ---------------------------------------------------------

    def _pg(self, *args: str, check=True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_pg, f"{self.pg_bin}/pg_ctl", "-D", str(self.dir / "pg"), *args],
            check=check,
            capture_output=True,
            text=True,
        )

    def init_pg(self) -> None:
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        subprocess.run(
            [
                *self.as_pg,
                f"{self.pg_bin}/initdb",
                "-D",
                str(self.dir / "pg"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        self.start_pg()
        subprocess.run(self._pg_client("createdb", "complaints"), check=True)

    def _pg_client(self, tool: str, *args: str) -> list[str]:
        """A PostgreSQL client command against this cluster, as its superuser."""
        target = ["-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres"]
        return [f"{self.pg_bin}/{tool}", *target, *args]

    def start_pg(self) -> None:
        # Durable, as in production: fsync, synchronous commit, full page writes. Sized as
        # production would size it on this machine (docker-compose.yml): shared buffers for a
        # busy day's working set (the soak's tables and indexes outgrow 256 MB within minutes),
        # and WAL room for its writes, so that checkpoints come from checkpoint_timeout (every 5
        # minutes, as by default) rather than every ~3 minutes from the WAL volume.
        opts = (
            f"-p {self.pg_port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on "
            "-c synchronous_commit=on -c full_page_writes=on -c max_connections=200 "
            "-c shared_buffers=2GB -c max_wal_size=4GB "
            "-c shared_preload_libraries=pg_stat_statements"
        )
        self._pg("-l", str(self.dir / "pg.log"), "-w", "-o", opts, "start")
        self.log(f"PostgreSQL up on port {self.pg_port}")

    def top_statements(self, limit: int = 12) -> list[str]:
        """The statements that took the database's time (pg_stat_statements), for the log."""
        sql = (
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; "
            "SELECT round(total_exec_time)::int || ' ms, ' || calls || ' calls, ' "
            "|| round((total_exec_time / greatest(calls, 1))::numeric, 2) || ' ms each: ' "
            "|| left(regexp_replace(query, '\\s+', ' ', 'g'), 160) "
            f"FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT {int(limit)}"
        )
        out = subprocess.run(
            self._pg_client("psql", "-d", "complaints", "-Atqc", sql),
            capture_output=True,
            text=True,
        )
        return out.stdout.splitlines() or [out.stderr.strip()]

    def stop_pg(self, mode: str = "fast") -> None:
        self._pg("-m", mode, "-w", "stop", check=False)
        self.log(f"PostgreSQL stopped ({mode})")

    def pg_pid(self) -> int | None:
        try:
            return int((self.dir / "pg" / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError, PermissionError):
            return None

    # --- Redis -----------------------------------------------------------------------

    def start_redis(self) -> None:
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
        )
        for _ in range(100):
            if _redis_ping(self.redis_port):
                break
            time.sleep(0.05)
        self.log(f"Redis up on port {self.redis_port}")

    def stop_redis(self) -> None:
        # Like a crash: the broker's queued messages are lost (nothing is saved).
        self.kill("redis", signal.SIGKILL)

    # --- The application -------------------------------------------------------------

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def start_receiver(self) -> None:
        self._spawn(
            "receiver",
            [
                str(VENV_BIN / "python"),
                "-m",
                "benchmarks.reliability.receiver",
                "--port",
                str(self.receiver_port),
                "--out",
                str(self.dir / "deliveries.jsonl"),
            ],
        )
        self._wait_http(f"{self.receiver_url}/ping")

    def start_web(self) -> None:
        """The web server as production runs it (config/server.py)."""
        self._spawn(
            "web",
            server.argv(
                host="127.0.0.1",
                port=self.web_port,
                workers=self.web_workers,
                threads=self.web_threads,
            ),
        )
        self._wait_http(f"{self.base_url}/healthz")
        self.log(
            f"granian up on port {self.web_port} "
            f"({self.web_workers} processes × {self.web_threads} threads)"
        )

    def start_proxy(self) -> None:
        """nginx in front of the web server, as in production (README, "In production").

        nginx ends TLS, serves the static files and reads each request body whole before it
        hands the request on.
        """
        self.proxy_port = free_port()
        folder = self.dir / "nginx"
        folder.mkdir()
        os.chmod(folder, 0o777)  # nginx's workers run as nobody and buffer bodies here
        conf = folder / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                dir=folder,
                port=self.proxy_port,
                upstream=f"127.0.0.1:{self.web_port}",
                static=ROOT / "staticfiles",
            )
        )
        self._spawn("proxy", ["nginx", "-c", str(conf), "-p", str(folder), "-e", "stderr"])
        self._wait_http(f"{self.base_url}/healthz")
        self.log(f"nginx up on port {self.proxy_port} (→ web {self.web_port})")

    def start_worker(self, name: str = "worker", loglevel: str = "WARNING") -> None:
        self._spawn(
            name,
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-n",
                f"{name}@%h",
                f"--loglevel={loglevel}",
                f"--concurrency={self.worker_concurrency}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self.log(f"Celery {name} started (pid {self.procs[name].pid})")

    def start_beat(self, name: str = "beat", loglevel: str = "WARNING") -> None:
        self._spawn(
            name,
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "beat",
                f"--loglevel={loglevel}",
                "-s",
                str(self.dir / f"{name}-schedule"),
                "--pidfile",
                "",
            ],
        )
        self.log(f"Celery {name} started (pid {self.procs[name].pid})")

    # --- Process control -------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = self.dir / f"{name}.log"
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env(),
            stdout=open(log, "ab"),  # noqa: SIM115 (the child owns it)
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = Proc(name, popen, log)

    def kill(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            if sig == signal.SIGKILL:
                os.killpg(proc.pid, sig)  # the master and its pool children at once
            else:
                proc.popen.send_signal(sig)
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.popen.wait(5)
        except ProcessLookupError:
            pass
        # Children a SIGTERM left behind (none expected) go with the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    @staticmethod
    def loadavg() -> str:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])

    def rss(self) -> dict[str, int]:
        """KiB per process (with its children), PostgreSQL's whole cluster included."""
        out = {
            name: rss_kib(p.pid)
            for name, p in self.procs.items()
            if p.alive() and not name.startswith("load")
        }
        pg = self.pg_pid()
        if pg:
            out["postgres"] = rss_kib(pg)
        return out

    def _wait_http(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {seconds} s")

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            self.kill(name, signal.SIGTERM, timeout=10)
        self.stop_pg("immediate")
        if os.environ.get("RELIABILITY_KEEP"):
            self.log(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# The reverse proxy of the production shape, on loopback. Request bodies are read completely
# before the web server sees them (proxy_request_buffering, the default); the limits match the
# application's (API_MAX_REQUEST_BYTES for evidence uploads), so its own 413 answers stay its own.
NGINX_CONF = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64m;
    proxy_http_version 1.0;
    upstream app {{ server {upstream}; }}
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location /static/ {{ alias {static}/; }}
        location / {{
            proxy_pass http://app;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def install_signal_handlers() -> None:
    """SIGTERM / SIGINT end the run through the `finally` that stops the stack."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


if __name__ == "__main__":  # pragma: no cover - manual smoke test
    stack = Stack()
    try:
        stack.init_pg()
        stack.start_redis()
        print(stack.rss(), file=sys.stderr)
    finally:
        stack.stop_all()
