"""POST /api/v1/complaints/bulk/: per-ticket results, each checked and audited alone."""

from __future__ import annotations

import pytest

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Note
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/bulk/"


def test_it_answers_each_ticket_done_or_refused_with_its_reason(
    as_user, alice, make_complaint, org
):
    fresh = make_complaint(tracking_no="SF0000000001", phone="13800000001")
    sent = services.complaint_dispatch(
        complaint=make_complaint(tracking_no="SF0000000002", phone="13800000002"),
        unit=org["b"],
        by=alice,
    )
    response = as_user(alice).post(
        URL,
        {"action": "dispatch", "tickets": [fresh.ticket_no, sent.ticket_no, "TS0"], "unit": "A"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["action"], body["done"], body["refused"]) == ("dispatch", 1, 2)
    assert [(r["ticket_no"], r["ok"], r["code"]) for r in body["results"]] == [
        (fresh.ticket_no, True, "done"),
        (sent.ticket_no, False, "conflict"),
        ("TS0", False, "not_found"),
    ]
    assert all(r["message"] for r in body["results"])
    assert Complaint.objects.get(pk=fresh.pk).unit == org["a"]
    assert ComplaintTransition.objects.filter(complaint=fresh, transition="dispatch").count() == 1


def test_branch_staff_get_a_refusal_per_ticket_and_nothing_changes(
    as_user, alice, bob, make_complaint, org
):
    complaint = services.complaint_dispatch(complaint=make_complaint(), unit=org["a"], by=alice)
    client = as_user(bob)
    with nothing_changed():
        response = client.post(
            URL,
            {
                "action": "reassign",
                "tickets": [complaint.ticket_no],
                "unit": "B",
                "reason": "不归我",
            },
            format="json",
        )
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "forbidden"


def test_notes_are_added_one_per_ticket(as_user, bob, alice, make_complaint, org):
    complaints = [
        services.complaint_dispatch(
            complaint=make_complaint(tracking_no=f"SF{i:010d}", phone=f"1380000{i:04d}"),
            unit=org["a"],
            by=alice,
        )
        for i in range(3)
    ]
    response = as_user(bob).post(
        URL,
        {"action": "note", "tickets": [c.ticket_no for c in complaints], "text": "统一回访"},
        format="json",
    )
    assert response.json()["done"] == 3
    assert Note.objects.filter(by=bob, text="统一回访").count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode", "tickets": ["X"]}, "action"),
        ({"action": "note", "tickets": [], "text": "x"}, "tickets"),
        ({"action": "note", "tickets": [f"T{i}" for i in range(101)], "text": "x"}, "tickets"),
        ({"action": "note", "tickets": "TS1", "text": "x"}, "tickets"),
        ({"action": "dispatch", "tickets": ["X"], "unit": "NOPE"}, "unit"),
        ({"action": "note", "tickets": ["X"], "text": ""}, "text"),
        ({"action": "assign", "tickets": ["X"]}, "handler"),
        ({"action": "note", "tickets": [{"a": 1}], "text": "x"}, "tickets"),
    ],
)
def test_a_wrong_request_is_a_structured_400_and_changes_nothing(
    as_user, alice, make_complaint, body, field
):
    make_complaint()
    client = as_user(alice)
    with nothing_changed():
        response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_partner_or_an_anonymous_caller_is_refused(as_user, api, pat, make_complaint):
    complaint = make_complaint()
    body = {"action": "mark_read", "tickets": [complaint.ticket_no]}
    client = as_user(pat)
    with nothing_changed():
        assert client.post(URL, body, format="json").status_code == 403
        assert api.post(URL, body, format="json").status_code == 401
