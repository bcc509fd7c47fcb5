"""The web server: granian serving config.wsgi. One definition for production and the tests.

`python -m config.server` replaces itself with granian configured from WEB_* variables (see
`argv()`); granian reads HTTP outside the GIL, so a slow client never holds a Django thread.
See docs/reliability.md, finding 12.
"""

from __future__ import annotations

import os
import sys

HEAD_LIMIT_BYTES = 64 * 1024


def argv(
    *,
    host: str = "0.0.0.0",  # nosec B104  # inside the container; the proxy is in front
    port: int = 8000,
    workers: int = 2,
    threads: int = 2,
    access_log: bool = False,
    log_level: str = "warning",
) -> list[str]:
    """The command line that serves the project on host:port."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        # The head's cap. (With `--http 1` granian ignores it: HTTP version stays auto, and
        # HTTP/2 — only with prior knowledge on a plain connection — has the same cap.)
        "--http1-buffer-size",
        str(HEAD_LIMIT_BYTES),
        "--http2-max-headers-size",
        str(HEAD_LIMIT_BYTES),
        # A worker that dies (out of memory, a crash in a C extension) is started again.
        "--respawn-failed-workers",
        # On SIGTERM, requests in progress get this long to finish before the workers go.
        "--workers-kill-timeout",
        "30",
        "--log-level",
        log_level,
        *(["--access-log"] if access_log else []),
        "config.wsgi:application",
    ]


def from_environment() -> list[str]:
    env = os.environ
    return argv(
        host=env.get("WEB_HOST", "0.0.0.0"),  # nosec B104  # see argv()
        port=int(env.get("WEB_PORT", "8000")),
        workers=int(env.get("WEB_CONCURRENCY", "2")),
        threads=int(env.get("WEB_THREADS", "2")),
        access_log=env.get("WEB_ACCESS_LOG", "0") == "1",
        log_level=env.get("WEB_LOG_LEVEL", "warning"),
    )


if __name__ == "__main__":
    command = from_environment()
    os.execv(command[0], command)  # nosec B606  # our own interpreter and fixed arguments
