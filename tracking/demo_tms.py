"""The demo transport system (TMS): a small simulator `make run` starts beside the app.

`seed_demo` feeds it; `serve` answers pulls and pushes scans as their time comes, signed as a
real TMS would. Everything in it is synthetic. See docs/tracking.md, "The demo TMS".
"""

from __future__ import annotations

import json
import logging
import os
import socketserver
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone

from . import signing

log = logging.getLogger(__name__)

SHOWCASE = {
    "DEMO100000001": "signed_without_delivery",
    "DEMO100000002": "stuck_at_hub",
    "DEMO100000003": "on_time",
    "DEMO100000004": "on_its_way",
}
HUBS = {"east": ("H-EAST", "东区转运中心"), "west": ("H-WEST", "西区转运中心")}
BRANCH_NAMES = {
    "B-EAST-1": "东区第一营业部",
    "B-EAST-2": "东区第二营业部",
    "B-WEST-1": "西区第一营业部",
    "B-WEST-2": "西区第二营业部",
}
# Which journey fits which complaint category.
PLOT_BY_CATEGORY = {
    "delay": "stuck_at_hub",
    "loss": "lost_after_hub",
    "misdelivery": "signed_without_delivery",
    "attitude": "problem_then_signed",
}


def _side(code: str) -> str:
    return "west" if "WEST" in code else "east"


def journey(
    waybill: str, *, plot: str, origin: str, destination: str, start: datetime, names: dict
) -> dict:
    """A waybill's scans from its origin branch through two hubs to its destination branch.

    The plot decides where it ends: delivered (派件 then 签收), signed without a 派件, stuck at
    the second hub, lost after the first, or a 问题件 before the 签收.
    """
    first_hub, second_hub = HUBS[_side(origin)], HUBS[_side(destination)]
    if first_hub == second_hub:
        second_hub = HUBS["west" if _side(origin) == "east" else "east"]
    o_name, d_name = names.get(origin, origin), names.get(destination, destination)
    steps: list[tuple[float, str, str, str, str, str]] = [
        # (hours after start, TMS code, unit code, unit name, operator, text)
        (
            0,
            "收件",
            origin,
            o_name,
            "演示揽收员",
            f"快件已由【{o_name}】揽收，揽收员电话 13900000001",
        ),
        (3, "发往", origin, o_name, "", f"快件已从【{o_name}】发往【{first_hub[1]}】"),
        (8, "到达", *first_hub, "", f"快件已到达【{first_hub[1]}】"),
        (9, "装车", *first_hub, "", "干线装车"),  # a code no alias knows: kept as 其他
        (10, "发往", *first_hub, "", f"快件已从【{first_hub[1]}】发往【{second_hub[1]}】"),
        (20, "到达", *second_hub, "", f"快件已到达【{second_hub[1]}】"),
        (22, "发往", *second_hub, "", f"快件已从【{second_hub[1]}】发往【{d_name}】"),
        (30, "到达", destination, d_name, "", f"快件已到达【{d_name}】"),
        (31, "派件", destination, d_name, "演示派送员", "派送员正在派送，电话 13900000002"),
        (34, "签收", destination, d_name, "演示派送员", "已签收，签收人：本人"),
    ]
    if plot == "stuck_at_hub":
        steps = steps[:6]
    elif plot == "lost_after_hub":
        steps = steps[:5]
    elif plot == "signed_without_delivery":
        steps = [s for s in steps if s[1] != "派件"]
        steps[-1] = (31, "签收", destination, d_name, "演示派送员", "已签收，签收人：门卫代收")
    elif plot == "problem_then_signed":
        steps.insert(
            -1, (32, "问题件", destination, d_name, "演示派送员", "客户电话未接通，改约派送")
        )
    elif plot == "on_its_way":
        # Collected an hour ago; the rest comes every three minutes from now on.
        steps = [(0, *steps[0][1:])] + [(1 + 0.05 * i, *s[1:]) for i, s in enumerate(steps[1:])]
    events = [
        {
            "id": f"{waybill}-{n:02d}",
            "waybill": waybill,
            "time": (start + timedelta(hours=hours)).isoformat(),
            "type": code,
            "unit_code": unit_code,
            "unit_name": unit_name,
            "operator": operator,
            "text": text,
        }
        for n, (hours, code, unit_code, unit_name, operator, text) in enumerate(steps, start=1)
    ]
    return {
        "waybill": waybill,
        "service": "标准快递",
        "promised_at": (start + timedelta(hours=48)).isoformat(),
        "events": events,
    }


def scenario(complaints: list[dict], *, now: datetime, names: dict) -> dict[str, dict]:
    """The demo waybills: one per demo complaint's waybill (the first complaint decides its
    plot), and the showcase ones, with times around `now`."""
    branches = sorted(BRANCH_NAMES)
    waybills: dict[str, dict] = {}
    for c in complaints:
        if c["tracking_no"] in waybills:
            continue
        destination = c["unit_code"] or branches[c["index"] % len(branches)]
        origin = branches[(branches.index(destination) + 2) % len(branches)]
        waybills[c["tracking_no"]] = journey(
            c["tracking_no"],
            plot=PLOT_BY_CATEGORY.get(c["category"], "delivered"),
            origin=origin,
            destination=destination,
            start=c["accepted_at"] - timedelta(days=4),
            names=names,
        )
    starts = {
        "signed_without_delivery": now - timedelta(days=2),
        "stuck_at_hub": now - timedelta(days=4),
        "on_time": now - timedelta(days=3),
        "on_its_way": now - timedelta(hours=1),
    }
    for waybill, plot in SHOWCASE.items():
        destination = "B-WEST-1" if plot == "signed_without_delivery" else "B-EAST-1"
        origin = "B-EAST-2" if _side(destination) == "west" else "B-WEST-2"
        waybills[waybill] = journey(
            waybill,
            plot="delivered" if plot == "on_time" else plot,
            origin=origin,
            destination=destination,
            start=starts[plot],
            names=names,
        )
    return waybills


def data_path() -> Path:
    return Path(settings.TRACKING["DEMO_DATA"])


def seed_demo_waybills(*, stdout=None) -> int:
    """seed_demo's part for the journey: the default routing rules and the demo TMS's data.

    Waybills already in the data file are kept as they are (a second seed adds nothing).
    """
    from complaints.models import Complaint, Unit

    from .models import RoutingRule
    from .seeding import ensure_default_rules

    ensure_default_rules(RoutingRule)
    names = {**BRANCH_NAMES, **dict(Unit.objects.values_list("code", "name"))}
    rows = Complaint.objects.filter(tracking_no__startswith="DEMO").order_by("id")
    complaints = [
        {
            "index": index,
            "tracking_no": c.tracking_no,
            "category": c.category,
            "accepted_at": c.accepted_at,
            "unit_code": c.unit.code if c.unit_id else "",
        }
        for index, c in enumerate(rows.select_related("unit"))
    ]
    path = data_path()
    existing = _read(path)
    fresh = scenario(complaints, now=timezone.now(), names=names)
    added = {k: v for k, v in fresh.items() if k not in existing}
    if added:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({**existing, **added}, ensure_ascii=False, indent=1))
        temporary.replace(path)  # the running simulator never reads half a file
    if stdout is not None:
        stdout.write(
            f"演示TMS：{len(existing) + len(added)} 个运单（新增 {len(added)} 个），{path}"
        )
    return len(added)


def _read(path: Path) -> dict[str, dict]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


# --- The simulator ------------------------------------------------------------------------------


class Store:
    """The data file, read again when seed_demo rewrites it."""

    def __init__(self, path: Path):
        self.path, self.mtime, self.waybills = path, None, {}
        self.lock = threading.Lock()

    def current(self) -> dict[str, dict]:
        with self.lock:
            try:
                mtime = self.path.stat().st_mtime
            except FileNotFoundError:
                return self.waybills
            if mtime != self.mtime:
                self.waybills, self.mtime = _read(self.path), mtime
            return self.waybills


def due(waybill: dict, now: datetime) -> list[dict]:
    return [e for e in waybill["events"] if datetime.fromisoformat(e["time"]) <= now]


class Handler(BaseHTTPRequestHandler):
    store: Store
    delay: float = 0.0

    def address_string(self) -> str:  # a Unix socket's peer has no address
        return "unix" if not self.client_address else str(self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.delay:
            time.sleep(self.delay)  # --delay: play a slow TMS
        parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        if parts == ["healthz"]:
            self._answer(200, {"ok": True})
            return
        if len(parts) != 3 or parts[0] != "waybills" or parts[2] != "events":
            self._answer(404, {"error": "not found"})
            return
        waybill = self.store.current().get(parts[1].upper())
        if waybill is None:
            self._answer(404, {"error": "unknown waybill"})
            return
        self._answer(200, {**waybill, "events": due(waybill, timezone.now())})


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def make_server(store: Store, *, socket_path: str = "", port: int = 0, delay: float = 0.0):
    handler = type("DemoHandler", (Handler,), {"store": store, "delay": delay})
    if socket_path:
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        server = UnixHTTPServer(socket_path, handler)
        os.chmod(socket_path, 0o700)
        return server
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def push_secret() -> str:
    from .api import push_secrets

    return push_secrets()[0]


class Pusher:
    """Pushes each scan once its time has come (what it pushed is remembered in memory: after a
    restart it pushes them again, and the product stores nothing twice)."""

    def __init__(self, store: Store, url: str, secret: str, batch: int = 500):
        self.store, self.url, self.secret, self.batch = store, url, secret, batch
        self.pushed: set[str] = set()

    def tick(self) -> int:
        now = timezone.now()
        pending = [
            (waybill, event)
            for waybill in self.store.current().values()
            for event in due(waybill, now)
            if event["id"] not in self.pushed
        ]
        sent = 0
        for start in range(0, len(pending), self.batch):
            chunk = pending[start : start + self.batch]
            infos = {w["waybill"]: w for w, _ in chunk}
            body = {
                "events": [e for _, e in chunk],
                "waybills": [
                    {"waybill": k, "promised_at": w["promised_at"], "service": w["service"]}
                    for k, w in infos.items()
                ],
            }
            if not self._post(body):
                break
            self.pushed.update(e["id"] for _, e in chunk)
            sent += len(chunk)
        return sent

    def _post(self, body: dict) -> bool:
        data = json.dumps(body, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-TMS-Timestamp": stamp,
                "X-TMS-Signature": signing.sign(self.secret, stamp, data),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310  # our own URL
                log.info("pushed %d scans: %s", len(body["events"]), response.read()[:200])
                return True
        except (urllib.error.URLError, OSError) as exc:
            log.warning("push to %s failed (retried next tick): %s", self.url, exc)
            return False


def serve(
    *,
    socket_path: str = "",
    port: int = 0,
    push_url: str = "",
    interval: float = 5.0,
    delay: float = 0.0,
    stop: threading.Event | None = None,
) -> None:
    """Answer pulls and push due scans until `stop` is set (the command sets it on SIGTERM)."""
    stop = stop or threading.Event()
    store = Store(data_path())
    server = make_server(store, socket_path=socket_path, port=port, delay=delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pusher = Pusher(store, push_url, push_secret()) if push_url else None
    try:
        while not stop.is_set():
            if pusher is not None:
                pusher.tick()
            stop.wait(interval)
    finally:
        server.shutdown()
        server.server_close()
        if socket_path and os.path.exists(socket_path):
            os.unlink(socket_path)
