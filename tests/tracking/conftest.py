"""The journey's test setup: a signed push, and a real TMS to pull from (the demo simulator,
serving a data file of the test's own on a Unix socket in a thread)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.test import Client

from tracking import demo_tms, signing
from tracking.api import push_secrets

PUSH_URL = "/api/v1/tracking/events/"


def signed_headers(body: bytes, *, secret: str | None = None, at: float | None = None) -> dict:
    stamp = str(int(at if at is not None else time.time()))
    secret = secret or push_secrets()[0]
    return {
        "HTTP_X_TMS_TIMESTAMP": stamp,
        "HTTP_X_TMS_SIGNATURE": signing.sign(secret, stamp, body),
    }


def event(waybill: str, at: datetime, type_: str, unit: str = "", **extra) -> dict:
    return {
        "id": extra.pop("id", f"{waybill}-{type_}-{at:%Y%m%d%H%M}-{unit}"),
        "waybill": waybill,
        "time": at.isoformat(),
        "type": type_,
        "unit_code": unit,
        "unit_name": extra.pop("unit_name", f"{unit}名" if unit else ""),
        **extra,
    }


@pytest.fixture
def push(db):
    """POST a signed batch to the push endpoint; return the response."""
    client = Client()

    def send(body: dict | bytes, **signature) -> object:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.post(
            PUSH_URL,
            data=data,
            content_type="application/json",
            **signed_headers(data, **signature),
        )

    return send


@pytest.fixture
def tms(tmp_path, settings):
    """A running TMS: write waybills into it with `tms.add(...)`; `tms.delay` slows it down."""
    data = tmp_path / "tms.json"
    data.write_text("{}")
    socket_path = str(tmp_path / "tms.sock")
    settings.TRACKING = {
        **settings.TRACKING,
        "DEMO_DATA": str(data),
        "PULL_URL": f"http+unix://{quote(socket_path, safe='')}/waybills/{{waybill}}/events",
        "PULL_TIMEOUT": 1.0,
        "PULL_CONNECT_TIMEOUT": 1.0,
    }
    store = demo_tms.Store(data)
    server = demo_tms.make_server(store, socket_path=socket_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Tms:
        path = data
        socket = socket_path

        def add(self, waybill: str, events: list[dict], promised_at: datetime | None = None):
            content = json.loads(data.read_text())
            content[waybill] = {
                "waybill": waybill,
                "service": "标准快递",
                "promised_at": promised_at.isoformat() if promised_at else None,
                "events": events,
            }
            data.write_text(json.dumps(content, ensure_ascii=False))
            # The store reloads on a new mtime; make sure it differs within one second.
            store.mtime = None

        def set_delay(self, seconds: float):
            server.RequestHandlerClass.delay = seconds

        def stop(self):
            server.shutdown()
            server.server_close()

    yield Tms()
    server.shutdown()
    server.server_close()


def journey_events(waybill: str, start: datetime, *, plot: str = "delivered") -> list[dict]:
    """A demo journey (tracking.demo_tms) from the origin B to the destination A."""
    return demo_tms.journey(
        waybill,
        plot=plot,
        origin="B",
        destination="A",
        start=start,
        names={"A": "网点甲", "B": "网点乙"},
    )["events"]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
