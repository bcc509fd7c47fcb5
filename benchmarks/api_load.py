#!/usr/bin/env python3
"""Open-loop load generator: requests leave at a fixed arrival rate, whatever the server does.

Each request's latency is measured from the moment it was *scheduled* to leave, so a server
that falls behind shows up in the percentiles (no coordinated omission). Loopback only.

    api_load.py --url http://127.0.0.1:8000/api/v1/complaints/ --rate 400 --seconds 20 \
        --kind submit
    api_load.py --url 'http://127.0.0.1:8000/api/v1/complaints/?page_size=25' --rate 100 \
        --seconds 20 --kind list --header 'Authorization: Token …'

With --connections N it runs closed-loop instead: N kept-alive connections, each sending its
next request as soon as the last one is answered, for --seconds; latency is then each request's
own round trip, and the rate is what the server sustains.

    api_load.py --url http://127.0.0.1:8000/api/v1/complaints/ --kind submit --connections 8 \
        --seconds 30 --first 10000000 --header 'Authorization: Token …'
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from urllib.parse import urlsplit


def submission(i: int) -> bytes:
    return json.dumps(
        {
            "tracking_no": f"BM{int(time.time())}{i:07d}",
            "complainant_name": "压测客户",
            "phone": f"198{i % 100_000_000:08d}",
            "party": "recipient",
            "category": ["delay", "loss", "damage", "attitude"][i % 4],
            "description": "压测：快件超时未送达，物流信息两天未更新。",
            "demand": "redelivery",
        },
        ensure_ascii=False,
    ).encode()


def request_bytes(kind: str, path: str, headers: list[str], i: int) -> bytes:
    if kind == "submit":
        body = submission(i)
        head = [*headers, "Content-Type: application/json", f"Content-Length: {len(body)}"]
        request = f"POST {path} HTTP/1.1\r\n" + "\r\n".join(head) + "\r\n\r\n"
        return request.encode() + body
    return (f"GET {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode()


async def read_response(reader, timeout: float) -> tuple[int, bool]:
    """Read one response; return its status and whether the server keeps the connection."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status = int(head.split(b" ", 2)[1])
    length, keep = 0, True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            keep = False
    if length:
        await asyncio.wait_for(reader.readexactly(length), timeout)
    return status, keep


async def one(host, port, request: bytes, timeout: float) -> int:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await asyncio.wait_for(reader.readexactly(length), timeout)
        else:
            await asyncio.wait_for(reader.read(), timeout)
        return status
    finally:
        writer.close()


async def run(args) -> dict:
    url = urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit("only loopback targets are allowed")
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = [f"Host: {host}:{port}", "Connection: close", *args.header]
    total = int(args.rate * args.seconds)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    tasks = []

    async def fire(i: int, scheduled: float):
        data = request_bytes(args.kind, path, headers, args.first + i)
        try:
            status = str(await one(host, port, data, args.timeout))
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        statuses[status] = statuses.get(status, 0) + 1
        if status.startswith("2"):
            latencies.append(loop.time() - scheduled)

    for i in range(total):
        scheduled = start + i / args.rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(i, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    ok = len(latencies)
    latencies.sort()

    def pct(p):
        return latencies[min(int(p / 100 * ok), ok - 1)] * 1000 if ok else float("nan")

    return {
        "kind": args.kind,
        "target_rate": args.rate,
        "seconds": round(elapsed, 1),
        "sent": total,
        "ok": ok,
        "achieved_ok_per_s": round(ok / elapsed, 1),
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if ok else None,
        "statuses": statuses,
    }


async def closed_loop(args) -> dict:
    """Keep `args.connections` connections busy for `args.seconds`; every request is answered
    or counted as failed, and the ones in flight at the end are waited for."""
    url = urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit("only loopback targets are allowed")
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = [f"Host: {host}:{port}", *args.header]  # HTTP/1.1: kept alive by default
    numbers = itertools.count()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + args.seconds
    sent = 0

    async def connection():
        nonlocal sent
        reader = writer = None
        while loop.time() < deadline:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            data = request_bytes(args.kind, path, headers, args.first + next(numbers))
            began = loop.time()
            sent += 1
            try:
                writer.write(data)
                status, keep = await read_response(reader, args.timeout)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                writer.close()
                writer = None
                continue
            latencies.append(loop.time() - began)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if not keep:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(args.connections)))
    elapsed = loop.time() - start
    answered = len(latencies)
    latencies.sort()

    def pct(p):
        return latencies[min(int(p / 100 * answered), answered - 1)] * 1000 if answered else 0

    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    return {
        "kind": args.kind,
        "connections": args.connections,
        "seconds": round(elapsed, 1),
        "sent": sent,
        "answered": answered,
        "ok": ok,
        "ok_per_s": round(ok / elapsed, 1),
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(latencies[-1] * 1000, 1) if answered else None,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, help="requests per second (open loop)")
    parser.add_argument("--connections", type=int, help="kept-alive connections (closed loop)")
    parser.add_argument(
        "--first", type=int, default=0, help="number of the first submission (phone, waybill)"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kind", choices=["submit", "list"], required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    if (args.rate is None) == (args.connections is None):
        parser.error("give either --rate (open loop) or --connections (closed loop)")
    measure = run if args.rate is not None else closed_loop
    try:  # uvloop halves the generator's CPU per request, which it shares with the server
        import uvloop

        result = uvloop.run(measure(args))
    except ImportError:
        result = asyncio.run(measure(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
