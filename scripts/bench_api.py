#!/usr/bin/env python3
"""Open-loop load generator: requests leave at a fixed arrival rate, whatever the server does.

Each request's latency is measured from the moment it was *scheduled* to leave, so a server
that falls behind shows up in the percentiles (no coordinated omission). Loopback only.

    bench_api.py --url http://127.0.0.1:8000/api/v1/complaints/ --rate 400 --seconds 20 \
        --kind submit
    bench_api.py --url 'http://127.0.0.1:8000/api/v1/complaints/?page_size=25' --rate 100 \
        --seconds 20 --kind list --header 'Authorization: Token …'
"""

from __future__ import annotations

import argparse
import asyncio
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
        if args.kind == "submit":
            body = submission(i)
            head = [*headers, "Content-Type: application/json", f"Content-Length: {len(body)}"]
            request = f"POST {path} HTTP/1.1\r\n" + "\r\n".join(head) + "\r\n\r\n"
            data = request.encode() + body
        else:
            data = (f"GET {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode()
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kind", choices=["submit", "list"], required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    try:  # uvloop halves the generator's CPU per request, which it shares with the server
        import uvloop

        result = uvloop.run(run(args))
    except ImportError:
        result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
