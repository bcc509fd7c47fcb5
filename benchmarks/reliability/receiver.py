"""A fake SMS gateway and partner webhook receiver on 127.0.0.1: records every delivery.

Each POST is recorded as one JSON line with its path and `X-Delivery-Id` (the outbox sends
one per message, the same on every retry) and answered 200. The consistency checks compare the
ids received with the outbox rows marked sent: none missing, none unknown, and how many arrived
more than once.

It shares the machine's two cores with the system under test, so it is kept lean: asyncio
(uvloop when installed), HTTP/1.1 keep-alive, only the headers it needs parsed, and the
records written in batches (flushed twice a second, long before the checks read them).

    python -m benchmarks.reliability.receiver --port 8025 --out deliveries.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b"Connection: keep-alive\r\n\r\n{}"
)


async def serve(port: int, out_path: str) -> None:
    out = open(out_path, "a", encoding="utf-8")  # noqa: SIM115 (flushed and closed below)
    pending: list[str] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path = request_line.split(" ", 2)[:2]
                headers = {}
                for line in lines:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                if method == "POST":
                    record = {
                        "t": time.time(),
                        "path": path,
                        "id": headers.get("x-delivery-id", ""),
                        "event": headers.get("x-event", ""),
                        "bytes": len(body),
                    }
                    pending.append(json.dumps(record))
                writer.write(ANSWER)
                if headers.get("connection", "").lower() == "close":
                    await writer.drain()
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def flush() -> None:
        if pending:
            out.write("\n".join(pending) + "\n")
            pending.clear()
            out.flush()

    server = await asyncio.start_server(connection, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        while not stop.is_set():
            await asyncio.sleep(0.5)
            flush()
    flush()
    out.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.port, args.out))
    else:
        uvloop.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()
