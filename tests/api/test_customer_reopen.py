"""The customer not satisfied after closing (SPEC §2; seed 001 §(四)5; issue 18): within 7 days of
closing the complaint reopens — by the customer's own action or a rating of 2 or less — and
after that a new complaint linked to the old one is filed. Audited as the customer's act.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from complaints import rules, services
from complaints.models import Complaint
from tests.complaints.helpers import bring_to

WINDOW = timedelta(days=7)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("after_closing", "open_"),
    [
        pytest.param(WINDOW - S, True, id="SPEC2-a-second-before-7-days"),
        pytest.param(WINDOW, True, id="SPEC2-exactly-7-days"),
        pytest.param(WINDOW + S, False, id="SPEC2-a-second-after-7-days"),
    ],
)
def test_the_reopen_window_is_seven_days(now, after_closing, open_):
    assert rules.reopen_window_open(closed_at=now, now=now + after_closing, window_days=7) is open_


@pytest.fixture
def closed(make_complaint, submit, alice, bob, org, now):
    """A complaint the customer submitted through the API, closed at `now` + 1 min."""
    with time_machine.travel(now, tick=False):
        ticket_no, code = submit()
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    complaint = bring_to("closed", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
    return complaint, code


def _reopen(api, ticket_no, code, at, reason="问题没有解决"):
    with time_machine.travel(at, tick=False):
        return api.post(
            f"/api/v1/complaints/{ticket_no}/reopen/",
            {"reason": reason},
            format="json",
            HTTP_X_ACCESS_CODE=code,
        )


@pytest.mark.parametrize(
    "after_closing",
    [pytest.param(WINDOW - S, id="SPEC2-day-7-minus-1s"), pytest.param(WINDOW, id="SPEC2-day-7")],
)
def test_the_customer_reopens_within_seven_days(api, closed, after_closing):
    complaint, code = closed

    response = _reopen(api, complaint.ticket_no, code, complaint.closed_at + after_closing)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "verifying"
    complaint.refresh_from_db()
    assert complaint.repeat_count == 1 and complaint.satisfied is False
    row = complaint.transitions.last()
    assert (row.transition, row.actor_kind, row.actor_id) == ("reopen", "customer", None)
    assert row.reason == "问题没有解决"


def test_after_seven_days_a_new_linked_complaint_is_filed(api, closed):
    complaint, code = closed

    response = _reopen(api, complaint.ticket_no, code, complaint.closed_at + WINDOW + S)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["linked_to"] == complaint.ticket_no and body["access_code"]
    new = Complaint.objects.get(ticket_no=body["ticket_no"])
    assert new.repeat_of_id == complaint.pk and new.status == "accepted"
    assert complaint.ticket_no in new.description and "问题没有解决" in new.description
    assert new.transitions.get().actor_kind == "customer"
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    refiled = complaint.transitions.last()
    assert (refiled.transition, refiled.actor_kind) == ("refile", "customer")
    assert refiled.details["new_ticket"] == new.ticket_no
    # The new code reads the new complaint; the customer's timeline on the old one says so.
    mine = api.get(f"/api/v1/complaints/{new.ticket_no}/", HTTP_X_ACCESS_CODE=body["access_code"])
    assert mine.status_code == 200
    old = api.get(f"/api/v1/complaints/{complaint.ticket_no}/", HTTP_X_ACCESS_CODE=code).json()
    assert old["timeline"][-1]["event"] == "refile"


@pytest.mark.parametrize(
    ("after_closing", "status"),
    [
        pytest.param(WINDOW, "verifying", id="SPEC2-rating-2-on-day-7-reopens"),
        pytest.param(WINDOW + S, "closed", id="SPEC2-rating-2-after-day-7-only-rates"),
    ],
)
def test_a_low_rating_within_seven_days_reopens(api, closed, after_closing, status):
    complaint, code = closed

    with time_machine.travel(complaint.closed_at + after_closing, tick=False):
        response = api.post(
            f"/api/v1/complaints/{complaint.ticket_no}/rating/",
            {"score": 2, "comment": "还是没解决"},
            format="json",
            HTTP_X_ACCESS_CODE=code,
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    complaint.refresh_from_db()
    assert complaint.rating == 2
    if status == "verifying":
        assert complaint.transitions.last().actor_kind == "customer"


def test_a_good_rating_within_seven_days_stays_closed(api, closed):
    complaint, code = closed

    with time_machine.travel(complaint.closed_at + timedelta(days=1), tick=False):
        response = api.post(
            f"/api/v1/complaints/{complaint.ticket_no}/rating/",
            {"score": 3},
            format="json",
            HTTP_X_ACCESS_CODE=code,
        )

    assert response.json()["status"] == "closed"


def test_a_wrong_code_is_not_found(api, closed):
    complaint, _code = closed

    response = _reopen(api, complaint.ticket_no, "WRONGCODE2", complaint.closed_at + S)

    assert response.status_code == 404


def test_a_complaint_still_in_handling_cannot_be_reopened(api, org, submit, now):
    ticket_no, code = submit()

    response = _reopen(api, ticket_no, code, now)

    assert response.status_code == 409


def test_the_reason_is_required(api, closed):
    complaint, code = closed

    response = _reopen(api, complaint.ticket_no, code, complaint.closed_at + S, reason="")

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_staff_cannot_reopen_after_seven_days(as_user, alice, closed):
    complaint, _code = closed
    with time_machine.travel(complaint.closed_at + WINDOW + S, tick=False):
        response = as_user(alice).post(
            f"/api/v1/complaints/{complaint.ticket_no}/reopen/", {"reason": "客户来电"}
        )
    assert response.status_code == 409


def test_the_service_refiles_after_the_window(closed):
    complaint, _code = closed
    outcome = services.complaint_reopen_by_customer(
        complaint=complaint, reason="仍未收到赔偿", now=complaint.closed_at + WINDOW + S
    )
    assert outcome.refiled and outcome.complaint.repeat_of_id == complaint.pk
