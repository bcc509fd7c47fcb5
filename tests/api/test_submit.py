"""POST /api/v1/complaints/ — submission by customers and partners, idempotent replays."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection

from complaints import services
from complaints.api.models import IdempotencyKey
from complaints.models import Complaint, ComplaintTransition

from .conftest import SUBMISSION, token_client

URL = "/api/v1/complaints/"
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def test_it_accepts_a_complaint_and_returns_the_ticket_and_code(api, db):
    response = api.post(URL, {**SUBMISSION, "unit": ""}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "ticket_no",
        "access_code",
        "status",
        "priority",
        "first_response_due",
        "resolution_due",
        "statutory_due",
        "created_at",
    }
    assert re.fullmatch(r"TS\d{14}", body["ticket_no"])
    assert len(body["access_code"]) == 10
    assert body["status"] == "accepted" and body["priority"] == "normal"
    for field in ("first_response_due", "resolution_due", "statutory_due", "created_at"):
        assert OFFSET.match(body[field]), body[field]
    complaint = Complaint.objects.get(ticket_no=body["ticket_no"])
    assert complaint.channel == "api" and complaint.created_by is None
    assert response["Location"].endswith(f"/api/v1/complaints/{body['ticket_no']}/")


def test_it_keeps_money_as_two_place_decimals(api, alice, as_user):
    body = {**SUBMISSION, "insured": True, "insured_amount": "300", "freight": 12.5}
    ticket_no = api.post(URL, body, format="json").json()["ticket_no"]
    detail = as_user(alice).get(f"{URL}{ticket_no}/").json()
    assert detail["insured_amount"] == "300.00"
    assert detail["freight"] == "12.50"
    assert detail["declared_value"] is None


def test_it_lets_a_partner_submit_with_a_token(pat, now):
    response = token_client(pat).post(URL, SUBMISSION, format="json")
    assert response.status_code == 201
    complaint = Complaint.objects.get(ticket_no=response.json()["ticket_no"])
    assert complaint.created_by == pat
    assert ComplaintTransition.objects.get(complaint=complaint).actor_kind == "partner"


def test_it_refuses_staff_without_the_right_to_submit(bob):
    response = token_client(bob).post(URL, SUBMISSION, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_it_refuses_a_bad_token_with_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.post(URL, SUBMISSION, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"party": "neighbour"}, "party"),
        ({"category": "weather"}, "category"),
        ({"service": "drone"}, "service"),
        ({"tracking_no": ""}, "tracking_no"),
        ({"tracking_no": "SF 12;DROP"}, "tracking_no"),
        ({"description": "x" * 5001}, "description"),
        ({"insured": True}, "insured_amount"),
        ({"insured_amount": "-1"}, "insured_amount"),
        ({"freight": "1e999"}, "freight"),
        ({"freight": "12.345"}, "freight"),
        ({"declared_value": 10**40}, "declared_value"),
        ({"insured": "perhaps"}, "insured"),
        ({"unit": "NOPE"}, "unit"),
        ({"complainant_name": "a\x00b"}, "complainant_name"),
        ({"description": ["not", "text"]}, "description"),
    ],
)
def test_it_answers_bad_input_with_400_per_field_and_stores_nothing(api, db, overrides, field):
    response = api.post(URL, {**SUBMISSION, **overrides}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert not Complaint.objects.exists()
    assert not ComplaintTransition.objects.exists()


def test_it_names_every_missing_field(api, db):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) >= {"tracking_no", "complainant_name", "phone", "party", "category"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"tracking_no": ', "application/json"),
        (b'{"tracking_no": "\xff\xfe"}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b'{"freight": NaN}', "application/json"),
        (b'{"freight": 1' + b"0" * 5000 + b"}", "application/json"),
        (b"\x00\x01\x02", "application/json"),
    ],
)
def test_it_never_fails_with_500_on_garbage(api, db, body, content_type):
    response = api.generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("malformed", "invalid")
    assert not Complaint.objects.exists()


def test_it_refuses_an_unsupported_content_type_with_415(api, db):
    response = api.generic("POST", URL, b"tracking_no=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_it_refuses_an_oversized_body_with_413(api, db):
    huge = b'{"description": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = api.generic("POST", URL, huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_it_replays_the_same_key_and_body_as_the_same_complaint(api, db):
    first = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    again = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # including the access code
    assert Complaint.objects.count() == 1


def test_it_refuses_the_same_key_with_another_body_with_422(api, db):
    api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    other = {**SUBMISSION, "description": "另一件事：快递员态度恶劣。"}
    response = api.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


def test_it_scopes_keys_to_the_client(api, pat):
    api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = token_client(pat).post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Complaint.objects.count() == 2


def test_it_does_not_keep_the_key_of_a_refused_submission(api, db):
    bad = api.post(URL, {**SUBMISSION, "phone": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    good = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good


def test_it_stores_neither_the_key_nor_the_access_code_in_clear(api, db):
    body = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="secret-key").json()
    row = IdempotencyKey.objects.get()
    assert "secret-key" not in row.key_hash
    assert body["access_code"] not in row.sealed_access_code
    assert row.complaint.ticket_no == body["ticket_no"]


@pytest.mark.parametrize("key", ["", " ", "x" * 101, "ключ", "a\tb"])
def test_it_refuses_a_malformed_idempotency_key(api, db, key):
    response = api.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_complaint_when_two_identical_requests_race(pat, monkeypatch):
    """Both requests start together; the database's unique index decides, the loser replays.

    The first request, having created the complaint, holds its transaction open until the
    second request's INSERT of the key is seen waiting on the first one's uncommitted row (a
    lock not granted in pg_locks): the order is observed, not guessed with a sleep.
    """
    create = services.complaint_create
    calls = []
    waited: list[bool] = []

    def second_request_waits() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return cursor.fetchone()[0] > 0

    def create_then_hold(**kwargs):
        calls.append(1)
        result = create(**kwargs)
        deadline = time.monotonic() + 20
        while not second_request_waits() and time.monotonic() < deadline:
            time.sleep(0.01)
        waited.append(second_request_waits())
        return result

    monkeypatch.setattr(services, "complaint_create", create_then_hold)
    barrier = threading.Barrier(2)
    results: list = []

    def submit():
        client = token_client(pat)
        barrier.wait()
        try:
            results.append(
                client.post(URL, SUBMISSION, format="json", HTTP_IDEMPOTENCY_KEY="race-1")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status_code for r in results] == [201, 201]
    assert Complaint.objects.count() == 1
    assert sorted(r.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert results[0].json() == results[1].json()
    assert len(calls) == 1  # the loser never got as far as creating
    assert waited == [True]  # and it really waited on the winner's uncommitted key
