"""The customer's own ticket: read with the access code, evidence, chase, rating."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from complaints import services
from complaints.models import Complaint, Note
from tests import evidence_files
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY
from tests.unchanged import nothing_changed

from .conftest import token_client

URL = "/api/v1/complaints/"


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket(submit, org):
    return submit()


def walk(ticket_no: str, state: str, *, alice, bob, org):
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    return bring_to(
        state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=timezone.now()
    )


# --- Reading ------------------------------------------------------------------------------


def test_it_shows_the_customer_their_ticket_with_a_masked_phone(api, ticket):
    ticket_no, code = ticket
    response = api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["status_label"] == "受理"
    assert body["phone"] == "138****0000"
    assert body["complainant_name"] == "测***"
    assert "available_actions" not in body and "unit" not in body
    assert [e["event"] for e in body["timeline"]] == ["create"]


def test_it_accepts_the_code_in_any_letter_case(api, ticket):
    ticket_no, code = ticket
    assert api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code.lower()).status_code == 200


def test_it_answers_a_wrong_code_exactly_like_a_missing_ticket(api, ticket):
    ticket_no, code = ticket
    wrong = api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE="WRONGCODE2")
    no_code = api.get(f"{URL}{ticket_no}/")
    missing = api.get(f"{URL}TS20990101000001/", HTTP_X_ACCESS_CODE=code)
    assert wrong.status_code == no_code.status_code == missing.status_code == 404
    assert wrong.content == no_code.content == missing.content
    assert sorted(wrong.headers.items()) == sorted(missing.headers.items())


def test_it_shows_the_public_timeline_but_never_internal_notes(
    api, ticket, alice, bob, org, as_user
):
    ticket_no, code = ticket
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    services.complaint_add_note(complaint=complaint, by=alice, text="内部：客户情绪激动，注意措辞")
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    services.complaint_log_contact(complaint=complaint, by=bob, method="phone", summary="内部摘要")
    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY)
    complaint.refresh_from_db()
    services.complaint_record_follow_up(complaint=complaint, by=alice, outcome="satisfied")
    body = api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code).json()
    events = [e["event"] for e in body["timeline"]]
    assert events[:3] == ["create", "dispatch", "contact"]
    assert {"reply", "start_follow_up", "close"} <= set(events)
    reply = next(e for e in body["timeline"] if e["event"] == "reply")
    assert "基本情况" in reply["detail"] and "处理结果" in reply["detail"]
    text = str(body)
    assert "内部" not in text and Note.objects.count() == 1
    assert body["status_label"] == "闭环"


# --- Evidence -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("photo.png", image_bytes("PNG"), "image/png"),
        ("photo.webp", image_bytes("WEBP"), "image/webp"),
        ("receipt.pdf", evidence_files.pdf(), "application/pdf"),
        ("named-wrong.txt", image_bytes("PNG"), "image/png"),
    ],
)
def test_it_accepts_evidence_by_its_content(api, ticket, name, data, content_type):
    ticket_no, code = ticket
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response = api.post(
        f"{URL}{ticket_no}/evidence/", {"file": upload}, format="multipart", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    assert response.json()["original_name"] == name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.png", b"<html><script>alert(1)</script></html>"),
        ("fake.jpg", b"\xff\xd8\xff" + b"not really a jpeg" * 10),
        ("doc.pdf", b"MZ\x90\x00 an executable"),
        ("empty.png", b""),
    ],
)
def test_it_refuses_anything_else_with_400(api, ticket, name, data):
    ticket_no, code = ticket
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    response = api.post(
        f"{URL}{ticket_no}/evidence/", {"file": upload}, format="multipart", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_it_refuses_a_request_without_a_file(api, ticket):
    ticket_no, code = ticket
    response = api.post(
        f"{URL}{ticket_no}/evidence/", {}, format="multipart", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_it_refuses_a_file_over_10_mb_with_413(api, ticket):
    ticket_no, code = ticket
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    upload = SimpleUploadedFile("big.pdf", data, content_type="application/pdf")
    response = api.post(
        f"{URL}{ticket_no}/evidence/", {"file": upload}, format="multipart", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_it_refuses_the_21st_file_with_413(api, ticket):  # a quota (issue 19 §4)
    ticket_no, code = ticket
    png = image_bytes("PNG")
    for i in range(20):
        upload = SimpleUploadedFile(f"{i}.png", png)
        response = api.post(
            f"{URL}{ticket_no}/evidence/",
            {"file": upload},
            format="multipart",
            HTTP_X_ACCESS_CODE=code,
        )
        assert response.status_code == 201
    response = api.post(
        f"{URL}{ticket_no}/evidence/",
        {"file": SimpleUploadedFile("21.png", png)},
        format="multipart",
        HTTP_X_ACCESS_CODE=code,
    )
    assert response.status_code == 413


def test_it_does_not_take_evidence_with_a_wrong_code(api, ticket):
    ticket_no, _code = ticket
    upload = SimpleUploadedFile("photo.png", image_bytes("PNG"))
    with nothing_changed():  # no attachment row, no file, no audit row
        response = api.post(
            f"{URL}{ticket_no}/evidence/",
            {"file": upload},
            format="multipart",
            HTTP_X_ACCESS_CODE="X",
        )
    assert response.status_code == 404


# --- Chase --------------------------------------------------------------------------------


def test_it_makes_a_normal_complaint_urgent_on_the_second_chase(api, ticket):
    ticket_no, code = ticket
    first = api.post(f"{URL}{ticket_no}/chase/", {}, format="json", HTTP_X_ACCESS_CODE=code)
    assert first.status_code == 200
    assert first.json()["priority"] == "normal" and first.json()["chase_count"] == 1
    second = api.post(
        f"{URL}{ticket_no}/chase/", {"note": "还没处理"}, format="json", HTTP_X_ACCESS_CODE=code
    )
    assert second.json()["priority"] == "urgent"
    assert second.json()["priority_label"] == "重大紧急"


def test_it_refuses_to_chase_a_closed_complaint_with_409(api, ticket, alice, bob, org):
    ticket_no, code = ticket
    walk(ticket_no, "closed", alice=alice, bob=bob, org=org)
    response = api.post(f"{URL}{ticket_no}/chase/", {}, format="json", HTTP_X_ACCESS_CODE=code)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


# --- Rating -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["accepted", "verifying", "answered"])
def test_it_refuses_a_rating_before_the_follow_up_with_409(api, ticket, alice, bob, org, state):
    ticket_no, code = ticket
    walk(ticket_no, state, alice=alice, bob=bob, org=org)
    response = api.post(
        f"{URL}{ticket_no}/rating/", {"score": 5}, format="json", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 409


def test_it_records_a_good_rating_after_closing(api, ticket, alice, bob, org):
    ticket_no, code = ticket
    walk(ticket_no, "closed", alice=alice, bob=bob, org=org)
    response = api.post(
        f"{URL}{ticket_no}/rating/",
        {"score": 5, "comment": "处理及时"},
        format="json",
        HTTP_X_ACCESS_CODE=code,
    )
    assert response.status_code == 200
    assert response.json()["rating"] == 5 and response.json()["status"] == "closed"


def test_it_sends_a_low_rating_during_follow_up_back_for_handling(api, ticket, alice, bob, org):
    ticket_no, code = ticket
    walk(ticket_no, "follow_up", alice=alice, bob=bob, org=org)
    response = api.post(
        f"{URL}{ticket_no}/rating/",
        {"score": 2, "comment": "快件还是坏的"},
        format="json",
        HTTP_X_ACCESS_CODE=code,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "verifying" and body["rating"] == 2
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    assert complaint.repeat_count == 1 and complaint.satisfied is False
    assert body["timeline"][-1]["event"] == "reopen"


@pytest.mark.parametrize("score", [0, 6, "five", None, 2.5, True])
def test_it_refuses_a_score_outside_1_to_5(api, ticket, alice, bob, org, score):
    ticket_no, code = ticket
    walk(ticket_no, "follow_up", alice=alice, bob=bob, org=org)
    response = api.post(
        f"{URL}{ticket_no}/rating/", {"score": score}, format="json", HTTP_X_ACCESS_CODE=code
    )
    assert response.status_code == 400
    assert "score" in response.json()["error"]["fields"]


# --- Throttling ---------------------------------------------------------------------------


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.mark.usefixtures("one_throttle_window")
def test_it_throttles_access_code_guessing_and_logs_it(api, ticket, settings, caplog):
    ticket_no, code = ticket
    _rates(settings, code_guess="3/hour")
    for guess in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC"):
        assert api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=guess).status_code == 404
    with caplog.at_level(logging.WARNING, logger="complaints.api.security"):
        blocked = api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code)  # even the right one
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    assert 0 < int(blocked["Retry-After"]) <= 3600
    assert "access-code guessing" in caplog.text
    # Another address is not affected.
    other = api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


@pytest.mark.usefixtures("one_throttle_window")
def test_it_does_not_count_successful_lookups_as_guesses(api, ticket, settings):
    ticket_no, code = ticket
    _rates(settings, code_guess="2/hour")
    for _ in range(5):
        assert api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code).status_code == 200


@pytest.mark.usefixtures("one_throttle_window")
def test_it_throttles_customer_reads_per_address(api, ticket, settings):
    ticket_no, code = ticket
    _rates(settings, customer="2/min")
    statuses = [
        api.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_it_lets_a_partner_relay_the_customers_code(ticket, pat):
    ticket_no, code = ticket
    client = token_client(pat)
    assert client.get(f"{URL}{ticket_no}/").status_code == 403  # no staff rights of its own
    relayed = client.get(f"{URL}{ticket_no}/", HTTP_X_ACCESS_CODE=code)
    assert relayed.status_code == 200
    assert relayed.json()["phone"] == "138****0000"
