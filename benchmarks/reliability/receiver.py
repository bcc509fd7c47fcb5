"""A fake SMS gateway and partner webhook receiver on 127.0.0.1: records every delivery.

Each POST is appended to a JSON-lines file with its path and `X-Delivery-Id` (the outbox sends
one per message, the same on every retry) and answered 200. The consistency checks compare the
ids received with the outbox rows marked sent: none missing, none unknown, and how many arrived
more than once.

    python -m benchmarks.reliability.receiver --port 8025 --out deliveries.jsonl
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = open(args.out, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # /ping: readiness
            self._answer()

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record = {
                "t": time.time(),
                "path": self.path,
                "id": self.headers.get("X-Delivery-Id", ""),
                "event": self.headers.get("X-Event", ""),
                "bytes": len(body),
            }
            with lock:
                out.write(json.dumps(record) + "\n")
            self._answer()

        def _answer(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
