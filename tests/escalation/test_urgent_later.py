"""A complaint that becomes urgent later (issue 18; seed 001 §(二)4 and §(五)1 二次催促): each
deadline becomes the earlier of the one it had and the moment it turned urgent plus the urgent
target — never an urgent target counted from acceptance, never later than before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import services
from escalation.schedule import DEFAULT_NORMAL, DEFAULT_URGENT, ComplaintFacts, compute_deadlines
from kernel.clock import WorkCalendar

H = timedelta(hours=1)
S = timedelta(seconds=1)
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def deadlines(urgent_since, **facts):
    fields = {"accepted_at": T0, "is_open": True, "status": "verifying"}
    fields.update(facts)
    return compute_deadlines(
        ComplaintFacts(urgent_since=urgent_since, **fields),
        DEFAULT_URGENT,
        WorkCalendar(),
        earlier_policy=DEFAULT_NORMAL,
    )


@pytest.mark.parametrize(
    ("since", "first_response", "resolution"),
    [
        # Normal: first response 24 h, resolution 72 h; urgent: 2 h and 12 h (SPEC §4).
        pytest.param(T0, T0 + 2 * H, T0 + 12 * H, id="seed001-urgent-at-acceptance"),
        pytest.param(T0 + 5 * H, T0 + 7 * H, T0 + 17 * H, id="seed001-urgent-5h-later"),
        # The edge: urgent at 22 h, 2 h before the normal first response — both the same.
        pytest.param(T0 + 22 * H - S, T0 + 24 * H - S, T0 + 34 * H - S, id="edge-1s-before"),
        pytest.param(T0 + 22 * H, T0 + 24 * H, T0 + 34 * H, id="edge-exactly"),
        pytest.param(T0 + 22 * H + S, T0 + 24 * H, T0 + 34 * H + S, id="edge-1s-after-keeps"),
        pytest.param(T0 + 70 * H, T0 + 24 * H, T0 + 72 * H, id="late-keeps-the-earlier-deadlines"),
    ],
)
def test_each_deadline_is_the_earlier_of_before_and_urgent_from_then(
    since, first_response, resolution
):
    result = deadlines(since)

    assert result.first_response_due == first_response
    assert result.resolution_due == resolution
    # Never later than before, never an urgent target counted from acceptance.
    assert result.first_response_due <= T0 + 24 * H
    assert result.resolution_due <= T0 + 72 * H


def test_a_complaint_does_not_become_urgent_already_breached():
    since = T0 + 5 * H
    result = deadlines(since)

    assert result.next_deadline > since  # counting from acceptance it would be T0 + 2 h


def test_the_statutory_answer_stays_seven_days():
    # 快递暂行条例 (SPEC §4): the 7-day period counts from acceptance whatever the priority.
    assert deadlines(T0 + 5 * H).statutory_due == deadlines(None).statutory_due


def test_a_follow_up_after_the_reply_runs_on_the_urgent_target():
    answered = T0 + 30 * H
    result = deadlines(T0 + 5 * H, status="answered", answered_at=answered, first_response_at=T0)

    assert result.follow_up_due == answered + 2 * H


# --- Through the services and the API (real PostgreSQL) -------------------------------------


def test_a_second_chase_counts_the_urgent_targets_from_the_chase(make_complaint, alice, now):
    complaint = make_complaint()
    assert complaint.first_response_due == now + 24 * H
    services.complaint_chase(complaint=complaint, by=alice, now=now + 1 * H)

    chased = services.complaint_chase(complaint=complaint, by=alice, now=now + 20 * H)

    assert chased.priority == "urgent" and chased.urgent_since == now + 20 * H
    assert chased.first_response_due == now + 22 * H  # not now + 2 h: that was breached
    assert chased.resolution_due == now + 32 * H
    assert chased.first_response_due > now + 20 * H


def test_an_agent_override_counts_from_the_override(make_complaint, alice, now):
    complaint = make_complaint()

    raised = services.complaint_set_priority(
        complaint=complaint, by=alice, priority="urgent", reason="客户情绪激动", now=now + 3 * H
    )

    assert raised.first_response_due == now + 5 * H
    lowered = services.complaint_set_priority(
        complaint=raised, by=alice, priority="normal", reason="误判", now=now + 4 * H
    )
    assert lowered.urgent_since is None
    assert lowered.first_response_due == now + 24 * H


def test_an_urgent_complaint_at_acceptance_runs_on_the_urgent_targets(make_complaint, now):
    complaint = make_complaint(description="我要打12305投诉")

    assert complaint.urgent_since == now
    assert complaint.first_response_due == now + 2 * H


def test_the_api_shows_the_deadline_counted_from_the_second_chase(make_complaint, alice, now):
    cache.clear()
    complaint = make_complaint()
    customer = APIClient()
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    code = {"HTTP_X_ACCESS_CODE": _code_of(complaint)}
    url = f"/api/v1/complaints/{complaint.ticket_no}/"

    for hours in (1, 20):
        with time_machine.travel(now + hours * H, tick=False):
            response = customer.post(url + "chase/", {"note": "催"}, format="json", **code)
        assert response.status_code == 200, response.json()

    body = staff.get(url).json()
    assert body["priority"] == "urgent"
    assert body["first_response_due"] == "2026-11-17T08:00:00+08:00"  # chase 06:00 + 2 h
    assert body["resolution_due"] == "2026-11-17T18:00:00+08:00"  # chase + 12 h


def _code_of(complaint) -> str:
    """Give the complaint a known access code (the real one is shown once, at submission)."""
    from complaints.services import hash_access_code

    complaint.access_code_hash = hash_access_code(complaint.ticket_no, "TESTCODE23")
    complaint.save(update_fields=["access_code_hash"])
    return "TESTCODE23"
