"""The customer's satisfaction rating is the customer's alone (issue 19 §5).

Staff — by token or by session — are refused (403) whatever the ticket; the customer may
change their rating while a "not satisfied" would still reopen the complaint (in the
follow-up, or within 7 days of closing, docs/api.md) and not after; the ticket page shows the
rating and when the customer gave it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from complaints.models import Complaint, ComplaintTransition
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed

from .conftest import token_client

WINDOW = timedelta(days=7)
S = timedelta(seconds=1)


@pytest.fixture
def closed(submit, alice, bob, org, now):
    """A complaint the customer submitted, closed at `now` + 1 min; (complaint, access code)."""
    with time_machine.travel(now, tick=False):
        ticket_no, code = submit()
    complaint = Complaint.objects.get(ticket_no=ticket_no)
    complaint = bring_to("closed", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
    return complaint, code


def _rate(client, complaint, score, at, **headers):
    with time_machine.travel(at, tick=False):
        return client.post(
            f"/api/v1/complaints/{complaint.ticket_no}/rating/",
            {"score": score, "comment": "处理及时"},
            format="json",
            **headers,
        )


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "sam"])
def test_it_refuses_every_staff_token(persona, request, api, closed):
    complaint, _code = closed
    client = token_client(request.getfixturevalue(persona))
    with nothing_changed():
        response = _rate(client, complaint, 5, complaint.closed_at + S)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "满意度评价只能由客户本人提交。"


def test_it_refuses_a_staff_session(api, closed, sam):
    complaint, _code = closed
    client = Client()
    client.force_login(sam)
    with nothing_changed():
        response = client.post(
            f"/api/v1/complaints/{complaint.ticket_no}/rating/",
            {"score": 1},
            content_type="application/json",
        )
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.rating is None and complaint.status == "closed"


def test_it_records_the_customers_rating_with_its_time(api, closed):
    complaint, code = closed
    at = complaint.closed_at + timedelta(hours=1)
    response = _rate(api, complaint, 4, at, HTTP_X_ACCESS_CODE=code)
    assert response.status_code == 200
    assert response.json()["rating"] == 4
    assert response.json()["rated_at"] == "2026-11-16T11:01:00+08:00"
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rated_at) == (4, at)
    row = ComplaintTransition.objects.get(complaint=complaint, transition="rate")
    assert row.actor_kind == "customer" and row.details == {"score": 4, "previous": None}


@pytest.mark.parametrize(
    ("changed_after", "status"),
    [
        pytest.param(WINDOW - S, 200, id="a-second-before-7-days-changes-it"),
        pytest.param(WINDOW, 200, id="exactly-7-days-changes-it"),
        pytest.param(WINDOW + S, 409, id="after-7-days-it-stands"),
    ],
)
def test_it_lets_the_customer_change_it_only_within_the_window(api, closed, changed_after, status):
    complaint, code = closed
    first = complaint.closed_at + timedelta(hours=1)
    assert _rate(api, complaint, 5, first, HTTP_X_ACCESS_CODE=code).status_code == 200
    later = complaint.closed_at + changed_after
    if status == 409:
        with nothing_changed():
            response = _rate(api, complaint, 4, later, HTTP_X_ACCESS_CODE=code)
        assert response.status_code == 409
        assert "不能再修改评价" in response.json()["error"]["message"]
        complaint.refresh_from_db()
        assert (complaint.rating, complaint.rated_at) == (5, first)
    else:
        response = _rate(api, complaint, 4, later, HTTP_X_ACCESS_CODE=code)
        assert response.status_code == 200
        complaint.refresh_from_db()
        assert (complaint.rating, complaint.rated_at) == (4, later)


def test_it_shows_the_rating_and_when_on_the_ticket_page(api, closed, sam):
    complaint, code = closed
    _rate(api, complaint, 4, complaint.closed_at + timedelta(hours=1), HTTP_X_ACCESS_CODE=code)
    page = Client()
    page.force_login(sam)
    html = page.get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert 'id="customer-rating" data-score="4"' in html
    assert "★★★★☆" in html and "客户本人评价于 2026年11月16日 11:01" in html


def test_it_shows_no_rating_before_the_customer_gave_one(closed, sam):
    complaint, _code = closed
    page = Client()
    page.force_login(sam)
    assert (
        'id="customer-rating"' not in page.get(f"/tickets/{complaint.ticket_no}/").content.decode()
    )
