"""Open-loop load on 127.0.0.1: customers submit at a fixed rate, staff list and act.

Submissions leave at `--rate` per second whatever the server does; latency is measured from
each request's *scheduled* time (no coordinated omission). Every request is logged as one JSON
line (`t`, `kind`, `status`, `ms`, and for a 201 the `ticket_no` the server acknowledged), so
the consistency checks can compare what clients were told with what the database holds.

Staff clients run alongside at `--staff-rate` steps per second: an agent lists new complaints
and dispatches one to a branch; branch staff list theirs, log the call to the customer and
reply. Each action's answer is logged the same way (audit rows are checked against them).

    python -m benchmarks.reliability.load --base http://127.0.0.1:8000 --rate 50 \
        --seconds 60 --run R1 --log load.jsonl --agent-token … --branch-token … --unit BR1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

# Reuse an idle connection only this long (servers close idle kept-alive connections: gunicorn
# after 2 s, nginx after 75 s; well under any of them).
IDLE_REUSE_S = 1.0

REPLY = {
    "facts": "经查，该快件在分拨中心滞留一天，物流信息未及时更新。",
    "process": "网点投诉专员已电话联系客户说明原因并致歉，当日安排专人派送。",
    "result": "快件已妥投，客户本人签收，表示认可。",
    "customer_accepts": True,
    "facts_confirmed": True,
    "our_fault": True,
}


def submission(run: str, i: int, urgent_every: int = 0, phrase: str = "") -> dict:
    description = "可靠性测试：快件超时未送达，物流信息两天未更新。"
    if urgent_every and i % urgent_every == 5 % urgent_every:
        description += f"再不处理我就{phrase}。"
    return {
        "tracking_no": f"{run}{i:08d}",
        "complainant_name": "压测客户",
        "phone": f"198{i % 100_000_000:08d}",
        "party": "recipient",
        "category": ["delay", "loss", "damage", "attitude"][i % 4],
        "description": description,
        "demand": "redelivery",
    }


class Http:
    def __init__(self, base: str, timeout: float):
        url = urlsplit(base)
        if url.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("only loopback targets are allowed")
        self.host, self.port, self.timeout = url.hostname, url.port or 80, timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(self, method: str, path: str, body=None, headers=()) -> tuple[int, dict]:
        head = [f"Host: {self.host}:{self.port}", *headers]
        data = b""
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        raw = f"{method} {path} HTTP/1.1\r\n" + "\r\n".join(head) + "\r\n\r\n"
        # One deadline for the whole exchange (asyncio.timeout: one timer per request, where
        # a wait_for per step cost the generator CPU it shares with the server).
        async with asyncio.timeout(self.timeout):
            # Kept-alive connections, as HTTP clients (and locust) use them: an idle one is
            # reused, else a new one is opened, so arrivals stay open-loop. A request is never
            # repeated on another connection (a repeated submission would be a second one).
            reader, writer = await self._take()
            reusable = False
            try:
                writer.write(raw.encode() + data)
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header.split(b" ", 2)[1])
                length = None
                retry_after = None
                reusable = True
                for line in header.split(b"\r\n"):
                    low = line.lower()
                    if low.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif low.startswith(b"retry-after:"):
                        retry_after = line.split(b":", 1)[1].strip().decode()
                    elif low.startswith(b"connection:") and b"close" in low:
                        reusable = False
                if length is None:
                    reusable = False
                    payload = await reader.read()
                else:
                    payload = await reader.readexactly(length)
            except BaseException:
                reusable = False
                raise
            finally:
                if reusable:
                    self.idle.append((reader, writer, time.monotonic()))
                else:
                    writer.close()
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:
            parsed = {"_raw": payload[:200].decode("utf-8", "replace")}
        if not isinstance(parsed, dict):
            parsed = {"_value": parsed}
        parsed["_retry_after"] = retry_after
        return status, parsed

    async def _take(self):
        """The most recently used idle connection, unless the server may have closed it: a
        request written into a connection the server is closing is lost (a cut connection, not
        a server failure)."""
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < IDLE_REUSE_S and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)


class Log:
    """One JSON line per request, written in blocks and flushed every second (and at exit)."""

    def __init__(self, path: str):
        self.f = open(path, "a", buffering=1 << 16, encoding="utf-8")  # noqa: SIM115
        self.flushed = time.monotonic()

    def write(self, **record) -> None:
        self.f.write(json.dumps(record, ensure_ascii=False) + "\n")
        if time.monotonic() - self.flushed >= 1:
            self.f.flush()
            self.flushed = time.monotonic()

    def close(self) -> None:
        self.f.close()


async def call(http: Http, log: Log, kind: str, method, path, body=None, headers=(), at=None):
    started = time.monotonic()
    scheduled = at if at is not None else started
    try:
        status, payload = await http.request(method, path, body, headers)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
        log.write(t=time.time(), kind=kind, status=type(exc).__name__, ms=None)
        return None, {}
    record = {
        "t": time.time(),
        "kind": kind,
        "status": status,
        "ms": round((time.monotonic() - scheduled) * 1000, 1),
    }
    if status >= 400:
        error = payload.get("error") if isinstance(payload.get("error"), dict) else None
        record["code"] = error.get("code") if error else None
        record["shape_ok"] = bool(error and error.get("code") and error.get("message"))
        record["retry_after"] = payload.get("_retry_after")
    return status, payload, record, log


async def logged(http, log, kind, method, path, body=None, headers=(), at=None, extra=None):
    out = await call(http, log, kind, method, path, body, headers, at)
    if out[0] is None:
        return None, {}
    status, payload, record, _ = out
    if extra:
        record.update(extra(status, payload))
    log.write(**record)
    return status, payload


async def submitter(args, http: Http, log: Log) -> None:
    loop = asyncio.get_running_loop()
    total = int(args.rate * args.seconds)
    start = loop.time() + 0.2
    tasks = set()

    def ticket(status, payload):
        if status == 201:
            return {"ticket_no": payload.get("ticket_no")}
        return {}

    for i in range(total):
        scheduled = start + i / args.rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        body = submission(args.run, args.offset + i, args.urgent_every, args.urgent_phrase)
        # Every n-th complaint comes from a partner's system (its webhook hears about it).
        partner = args.partner_every and i % args.partner_every == 0
        headers = [f"Authorization: Token {args.partner_token}"] if partner else []
        task = asyncio.create_task(
            logged(
                http,
                log,
                "submit",
                "POST",
                "/api/v1/complaints/",
                body,
                headers=headers,
                at=time.monotonic() + (scheduled - loop.time()),
                extra=lambda s, p, n=body["tracking_no"]: {
                    **ticket(s, p),
                    "tracking_no": n,
                },
            )
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def staff(args, http: Http, log: Log, deadline: float) -> None:
    """Agent dispatches new complaints; branch staff call the customer and reply."""
    agent = [f"Authorization: Token {args.agent_token}"]
    branch = [f"Authorization: Token {args.branch_token}"]
    done: set[tuple[str, str]] = set()
    step = 0
    while time.monotonic() < deadline:
        began = time.monotonic()
        step += 1
        if step % 2:
            status, page = await logged(
                http,
                log,
                "list",
                "GET",
                "/api/v1/complaints/?status=accepted&page_size=10",
                headers=agent,
            )
            for row in (page or {}).get("results", []) if status == 200 else []:
                if ("dispatch", row["ticket_no"]) in done:
                    continue
                done.add(("dispatch", row["ticket_no"]))
                await logged(
                    http,
                    log,
                    "dispatch",
                    "POST",
                    f"/api/v1/complaints/{row['ticket_no']}/actions/dispatch/",
                    {"unit": args.unit},
                    headers=agent,
                    extra=lambda s, p, t=row["ticket_no"]: {"ticket_no": t},
                )
                break
        else:
            status, page = await logged(
                http,
                log,
                "list",
                "GET",
                "/api/v1/complaints/?status=verifying&page_size=10",
                headers=branch,
            )
            for row in (page or {}).get("results", []) if status == 200 else []:
                if ("reply", row["ticket_no"]) in done:
                    continue
                done.add(("reply", row["ticket_no"]))
                base = f"/api/v1/complaints/{row['ticket_no']}/actions"
                for action, body in (
                    ("contact", {"channel": "phone", "note": "已电话联系客户，说明处理进度。"}),
                    ("reply", REPLY),
                ):
                    s, _ = await logged(
                        http,
                        log,
                        action,
                        "POST",
                        f"{base}/{action}/",
                        body,
                        headers=branch,
                        extra=lambda s, p, t=row["ticket_no"]: {"ticket_no": t},
                    )
                    if s not in (200, 201):
                        break
                break
        await asyncio.sleep(max(0.0, 1 / args.staff_rate - (time.monotonic() - began)))


async def run(args) -> None:
    http = Http(args.base, args.timeout)
    log = Log(args.log)
    deadline = time.monotonic() + args.seconds
    jobs = [submitter(args, http, log)]
    if args.staff_rate > 0:
        jobs += [staff(args, http, log, deadline) for _ in range(args.staff_clients)]
    try:
        await asyncio.gather(*jobs)
    finally:
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--run", required=True, help="tracking-number prefix of this run")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--agent-token", default="")
    parser.add_argument("--branch-token", default="")
    parser.add_argument("--unit", default="")
    parser.add_argument("--partner-token", default="")
    parser.add_argument("--partner-every", type=int, default=0)
    parser.add_argument("--urgent-every", type=int, default=0)
    parser.add_argument("--urgent-phrase", default="")
    parser.add_argument("--staff-rate", type=float, default=0.0, help="steps/s per client")
    parser.add_argument("--staff-clients", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    try:  # uvloop halves the generator's CPU per request, which it shares with the server
        import uvloop
    except ImportError:
        asyncio.run(run(args))
    else:
        uvloop.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
