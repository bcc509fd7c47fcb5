"""The TMS's push: signed, fresh, checked whole, stored once (POST /api/v1/tracking/events/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from tests.unchanged import snapshot
from tracking.models import ScanEvent, Waybill

from .conftest import PUSH_URL, event, hours, signed_headers

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
TABLES = ["tracking_scanevent", "tracking_waybill", "tracking_pulljob", "complaints_complaint"]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def batch() -> dict:
    return {
        "events": [
            event("SF100", NOW - hours(30), "收件", "B", operator="测试揽收员"),
            event("SF100", NOW - hours(20), "到达", "HUB-1", unit_name="测试转运中心"),
            event("SF100", NOW - hours(2), "签收", "A", text="已签收，签收人：本人"),
        ],
        "waybills": [{"waybill": "SF100", "promised_at": (NOW - hours(6)).isoformat()}],
    }


def test_it_stores_a_signed_batch_and_keeps_the_waybills_summary(push):
    response = push(batch())
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 3, "stored": 3, "duplicates": 0, "expired": 0}
    assert list(ScanEvent.objects.order_by("scanned_at").values_list("scan_type", flat=True)) == [
        "collect",
        "arrive",
        "sign",
    ]
    waybill = Waybill.objects.get(pk="SF100")
    assert (waybill.last_scan_type, waybill.last_unit_code) == ("sign", "A")
    assert waybill.signed_at == NOW - hours(2)
    assert waybill.promised_at == NOW - hours(6)


def test_it_stores_nothing_twice_when_the_tms_sends_the_batch_again(push):
    push(batch())
    response = push(batch())  # a retry after a lost answer: new timestamp, same events
    assert response.status_code == 200
    assert response.json() == {"received": 3, "stored": 0, "duplicates": 3, "expired": 0}
    assert ScanEvent.objects.count() == 3


def test_events_arriving_out_of_order_keep_the_latest_as_the_last_scan(push):
    body = batch()
    push({"events": body["events"][2:]})
    push({"events": body["events"][:2]})
    waybill = Waybill.objects.get(pk="SF100")
    assert (waybill.last_scan_type, waybill.last_event_at) == ("sign", NOW - hours(2))


def test_an_unknown_scan_type_is_kept_as_other_with_its_own_code(push):
    push({"events": [event("SF101", NOW - hours(1), "装车", "HUB-1")]})
    scan = ScanEvent.objects.get(waybill="SF101")
    assert (scan.scan_type, scan.type_code) == ("other", "装车")


def test_a_time_without_an_offset_is_beijing_time(push):
    push({"events": [{**event("SF102", NOW, "到达", "A"), "time": "2026-11-16 08:30:00"}]})
    assert ScanEvent.objects.get(waybill="SF102").scanned_at == datetime(
        2026, 11, 16, 0, 30, tzinfo=UTC
    )


def test_events_older_than_the_retention_are_counted_not_kept(push, settings):
    settings.TRACKING = {**settings.TRACKING, "RETENTION_MONTHS": 1}
    response = push({"events": [event("SF103", datetime(2026, 9, 1, tzinfo=UTC), "收件", "B")]})
    assert response.json()["expired"] == 1
    assert not ScanEvent.objects.filter(waybill="SF103").exists()


@pytest.mark.parametrize(
    ("case", "signature"),
    [
        ("signed with another secret", {"secret": "not-the-tms"}),
        ("a captured request replayed six minutes later", {"at": NOW.timestamp() - 360}),
        ("a timestamp from the future", {"at": NOW.timestamp() + 360}),
    ],
)
def test_it_refuses_a_push_not_signed_by_the_tms_now(push, case, signature):
    before = snapshot(TABLES)
    response = push(batch(), **signature)
    assert response.status_code == 401, case
    assert response.json()["error"]["code"] == "bad_signature"
    assert snapshot(TABLES) == before, f"{case}: something was stored"


def test_it_refuses_a_body_changed_after_signing(client, db):
    body = json.dumps(batch()).encode()
    headers = signed_headers(body)
    tampered = body.replace(b"SF100", b"SF999")
    before = snapshot(TABLES)
    response = client.post(PUSH_URL, data=tampered, content_type="application/json", **headers)
    assert response.status_code == 401
    assert snapshot(TABLES) == before


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("no headers", {}),
        (
            "a timestamp that is no number",
            {"HTTP_X_TMS_TIMESTAMP": "yesterday", "HTTP_X_TMS_SIGNATURE": "sha256=00"},
        ),
    ],
)
def test_it_refuses_a_push_without_a_usable_signature(client, db, case, headers):
    before = snapshot(TABLES)
    response = client.post(
        PUSH_URL, data=json.dumps(batch()), content_type="application/json", **headers
    )
    assert response.status_code == 401, case
    assert response.json()["error"]["message"].endswith("已拒绝。")
    assert snapshot(TABLES) == before


@pytest.mark.parametrize(
    ("case", "body", "field"),
    [
        (
            "an event without a time",
            {"events": [{"id": "x", "waybill": "SF1", "type": "签收"}]},
            "events[0].time",
        ),
        (
            "a time that is no time",
            {"events": [{**event("SF1", NOW, "签收"), "time": "昨天"}]},
            "events[0].time",
        ),
        (
            "a scan an hour and more ahead of our clock",
            {"events": [event("SF1", NOW + hours(2), "签收")]},
            "events[0].time",
        ),
        ("a waybill with symbols", {"events": [event("SF<1>", NOW, "签收")]}, "events[0].waybill"),
        ("a type longer than 32", {"events": [event("SF1", NOW, "签" * 33)]}, "events[0].type"),
        (
            "an operator name longer than 50",
            {"events": [event("SF1", NOW, "签收", operator="名" * 51)]},
            "events[0].operator",
        ),
        ("an event that is a string", {"events": ["签收"]}, "events[0]"),
        ("events that are not a list", {"events": {"a": 1}}, "events"),
    ],
)
def test_a_bad_event_refuses_the_whole_batch_and_says_which(push, case, body, field):
    good = event("SF200", NOW - hours(1), "到达", "A")
    body = {**body, "events": [*body["events"], good]} if isinstance(body["events"], list) else body
    before = snapshot(TABLES)
    response = push(body)
    assert response.status_code == 400, case
    assert field in response.json()["error"]["fields"], response.json()
    assert snapshot(TABLES) == before, f"{case}: half stored"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"events": "x"}', b"null"])
def test_malformed_bodies_get_a_clear_400_never_a_500(push, raw):
    response = push(raw)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_more_events_than_the_limit_are_refused(push, settings):
    settings.TRACKING = {**settings.TRACKING, "PUSH_MAX_EVENTS": 2}
    response = push(batch())
    assert response.status_code == 400
    assert not ScanEvent.objects.exists()
