"""Changing a complaint's category (issue 20 §1): who may, when, and what moves with it — the
cluster (seed 001 §(二)4(7)), the repeat link (seed 001 §(二)3, SPEC §3), the deadlines (issue
18 §6: urgent targets from the moment it becomes urgent) and the dashboard's rollup by category.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Priority
from dashboard import rollup
from dashboard.models import DailyRollup, DirtyMark
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_it_changes_the_category_and_audits_old_to_new(alice, make_complaint, now):
    complaint = make_complaint(unit_code="A")  # 延误

    services.complaint_set_category(
        complaint=complaint, by=alice, category="loss", reason="客户确认快件丢失", now=now + HOUR
    )

    complaint.refresh_from_db()
    assert complaint.category == "loss"
    audit = complaint.transitions.get(transition="set_category")
    assert (audit.actor, audit.reason, audit.at) == (alice, "客户确认快件丢失", now + HOUR)
    assert audit.details == {"category": "loss", "previous": "delay"}
    assert audit.from_state == audit.to_state == complaint.status


def test_completing_a_cluster_makes_it_urgent_from_then_and_moves_its_deadlines(
    alice, make_complaint, now
):
    # Two customers already complained of 丢失 at branch A: a third customer makes a cluster.
    others = [
        make_complaint(unit_code="A", category="loss", tracking_no=f"SF55000000{i}", phone=phone)
        for i, phone in enumerate(("13911112001", "13911112002"))
    ]
    complaint = make_complaint(unit_code="A", tracking_no="SF5500000099", phone="13911112003")
    before = (complaint.first_response_due, complaint.resolution_due)
    assert complaint.priority == Priority.NORMAL
    changed_at = now + HOUR

    services.complaint_set_category(
        complaint=complaint, by=alice, category="loss", reason="客户确认丢失", now=changed_at
    )

    complaint.refresh_from_db()
    assert complaint.priority == Priority.URGENT
    assert complaint.urgent_since == changed_at
    assert any("3名客户" in reason for reason in complaint.urgent_reasons)
    # Each deadline the earlier of before and urgent-from-the-change (issue 18 §6).
    assert complaint.first_response_due < before[0] and complaint.resolution_due < before[1]
    assert complaint.first_response_due > changed_at  # not urgent already breached
    raised = complaint.transitions.filter(transition="set_priority").get()
    assert raised.actor is None and raised.details["priority"] == "urgent"  # the system's act
    for other in others:  # the cluster's other members follow
        other.refresh_from_db()
        assert other.priority == Priority.URGENT


def test_it_becomes_a_repeat_of_the_customers_complaint_in_the_new_category(
    alice, make_complaint, now
):
    earlier = make_complaint(unit_code="A", category="loss", tracking_no="SF5600000001")
    complaint = make_complaint(
        unit_code="A", category="delay", tracking_no="SF5600000002", at=now + HOUR
    )
    assert not complaint.is_repeat  # another waybill, another category

    services.complaint_set_category(
        complaint=complaint, by=alice, category="loss", reason="同一票丢失", now=now + 2 * HOUR
    )

    complaint.refresh_from_db()
    assert (complaint.repeat_of_id, complaint.repeat_count) == (earlier.pk, 1)
    audit = complaint.transitions.get(transition="set_category")
    assert audit.details["repeat_of"] == earlier.ticket_no


def test_a_change_marks_the_acceptance_day_and_the_rollup_counts_the_new_category(
    alice, make_complaint, now, time_machine
):
    time_machine.move_to(now + timedelta(days=3), tick=False)
    complaint = make_complaint(unit_code="A", at=now)
    day = rollup.local_day(now)
    rollup.recompute_days(day, day)
    DirtyMark.objects.all().delete()

    services.complaint_set_category(complaint=complaint, by=alice, category="loss", reason="丢失")

    assert day in set(DirtyMark.objects.values_list("day", flat=True))
    rollup.rollup_refresh()
    received = dict(DailyRollup.objects.filter(day=day).values_list("category", "received"))
    assert received == {"loss": 1}


# --- Refusals: a valid request, the exact error, nothing changed ------------------------------


@pytest.mark.parametrize(
    ("persona", "state", "body", "error"),
    [
        pytest.param("bob", "open", {}, NotAllowed, id="branch-staff-may-not-classify"),
        pytest.param("carol", "open", {}, NotFound, id="another-unit-not-found"),
        pytest.param("nobody", "open", {}, NotAllowed, id="no-staff-profile"),
        pytest.param("alice", "closed", {}, Conflict, id="closed-complaint"),
        pytest.param("alice", "open", {"category": "delay"}, Conflict, id="same-category"),
        pytest.param("alice", "open", {"reason": "  "}, InvalidInput, id="reason-required"),
        pytest.param("alice", "open", {"category": "x"}, InvalidInput, id="unknown-category"),
    ],
)
def test_refusals_change_nothing(
    request, org, alice, bob, make_complaint, now, persona, state, body, error
):
    complaint = make_complaint(unit_code="A")
    if state == "closed":
        complaint = bring_to(
            "closed", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
        )
    user = request.getfixturevalue(persona)
    args = {"category": "loss", "reason": "客户确认快件丢失", **body}

    with nothing_changed(), pytest.raises(error):
        services.complaint_set_category(complaint=complaint, by=user, now=now + HOUR, **args)


# --- Through the REST API ---------------------------------------------------------------------


def test_an_agent_changes_the_category_through_the_api(alice, make_complaint):
    complaint = make_complaint(unit_code="A")
    url = f"/api/v1/complaints/{complaint.ticket_no}/actions/category/"

    answer = _api(alice).post(url, {"category": "loss", "reason": "客户确认丢失"}, format="json")

    assert answer.status_code == 200, answer.json()
    assert answer.json()["category"] == "loss"
    assert "category" in answer.json()["available_actions"]
    assert complaint.transitions.filter(transition="set_category").count() == 1


@pytest.mark.parametrize(
    ("persona", "body", "status"),
    [
        pytest.param("bob", {"category": "loss", "reason": "丢失"}, 403, id="branch-403"),
        pytest.param("alice", {"category": "loss", "reason": ""}, 400, id="no-reason-400"),
        pytest.param("alice", {"category": "lost", "reason": "丢失"}, 400, id="bad-category-400"),
        pytest.param("alice", {"category": "delay", "reason": "延误"}, 409, id="same-409"),
    ],
)
def test_the_api_refuses_and_changes_nothing(request, make_complaint, persona, body, status):
    complaint = make_complaint(unit_code="A")
    client = _api(request.getfixturevalue(persona))
    url = f"/api/v1/complaints/{complaint.ticket_no}/actions/category/"

    with nothing_changed():
        answer = client.post(url, body, format="json")

    assert answer.status_code == status
    assert answer.json()["error"]["message"]


# --- The ticket page --------------------------------------------------------------------------


def test_the_ticket_page_offers_it_to_agents_not_branch_staff(client, alice, bob, make_complaint):
    complaint = make_complaint(unit_code="A")
    url = f"/tickets/{complaint.ticket_no}/"
    client.force_login(bob)
    assert "调整投诉类别" not in client.get(url).content.decode()
    client.force_login(alice)
    assert "调整投诉类别" in client.get(url).content.decode()

    answer = client.post(
        f"/tickets/{complaint.ticket_no}/do/category/",
        {"category-category": "loss", "category-reason": "客户确认丢失"},
    )

    assert answer.status_code == 200
    assert "投诉类别已调整。" in answer.content.decode()
    complaint.refresh_from_db()
    assert complaint.category == "loss"
