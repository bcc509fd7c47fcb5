"""The 处理人 over the API (issue 20 §2): take, assign, the handler in the staff view, on duty."""

from __future__ import annotations

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Role, StaffProfile
from tests.conftest import _user, new_complaint
from tests.unchanged import nothing_changed

from .conftest import token_client

URL = "/api/v1/complaints/"


@pytest.fixture
def dan(org):
    return _user("dan", Role.BRANCH, org["a"])


@pytest.fixture
def complaint(alice, org):
    created, _ = services.complaint_create(data=new_complaint(), by=alice, now=timezone.now())
    return services.complaint_dispatch(complaint=created, unit=org["a"], by=alice)


def act(user, complaint, action, body=None):
    return token_client(user).post(
        f"{URL}{complaint.ticket_no}/actions/{action}/", body or {}, format="json"
    )


def test_it_lets_branch_staff_take(bob, complaint):
    before = token_client(bob).get(f"{URL}{complaint.ticket_no}/").json()
    assert before["handler"] is None and "take" in before["available_actions"]
    assert "assign" not in before["available_actions"]
    response = act(bob, complaint, "take")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["handler"] == "bob" and body["handler_name"] == "bob"
    assert "take" not in body["available_actions"]
    assert ComplaintTransition.objects.filter(complaint=complaint, transition="take").count() == 1


def test_it_answers_409_when_a_colleague_took_it(bob, dan, complaint):
    assert act(dan, complaint, "take").status_code == 200
    token_client(bob)  # its token exists before the snapshot
    with nothing_changed():
        response = act(bob, complaint, "take")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_it_refuses_take_by_non_branch(who, request, complaint):
    token_client(request.getfixturevalue(who))  # its token exists before the snapshot
    with nothing_changed():
        response = act(request.getfixturevalue(who), complaint, "take")
    assert response.status_code == 403


def test_it_answers_404_to_another_unit(carol, complaint):
    token_client(carol)  # its token exists before the snapshot
    with nothing_changed():
        response = act(carol, complaint, "take")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_it_lets_agents_and_supervisors_assign(who, request, bob, dan, complaint):
    by = request.getfixturevalue(who)
    response = act(by, complaint, "assign", {"handler": "dan", "reason": "熟悉该片区"})
    assert response.status_code == 200, response.json()
    assert response.json()["handler"] == "dan"
    response = act(by, complaint, "assign", {"handler": None})
    assert response.status_code == 200
    assert response.json()["handler"] is None
    assert Complaint.objects.get(pk=complaint.pk).handler_id is None


def test_it_lets_the_unit_head_assign(org, bob, dan, complaint):
    org["a"].head = bob
    org["a"].save()
    listed = token_client(bob).get(f"{URL}{complaint.ticket_no}/").json()["available_actions"]
    assert "assign" in listed
    response = act(bob, complaint, "assign", {"handler": "dan"})
    assert response.status_code == 200, response.json()


def test_it_refuses_assign_by_plain_staff(bob, dan, complaint):
    token_client(bob)  # its token exists before the snapshot
    with nothing_changed():
        response = act(bob, complaint, "assign", {"handler": "dan"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"handler": "carol"},  # another unit's staff
        {"handler": "alice"},  # an agent
        {"handler": "nobody-of-that-name"},
        {"handler": ""},
    ],
)
def test_it_refuses_a_handler_outside_the_unit(alice, carol, body, complaint):
    token_client(alice)  # its token exists before the snapshot
    with nothing_changed():
        response = act(alice, complaint, "assign", body)
    assert response.status_code == 400
    assert "handler" in response.json()["error"]["fields"]


@pytest.mark.parametrize("body", [{}, {"handler": 7}, {"handler": ["bob"]}, "bob"])
def test_it_refuses_a_malformed_body(alice, bob, body, complaint):
    client = token_client(alice)
    with nothing_changed():
        response = client.post(f"{URL}{complaint.ticket_no}/actions/assign/", body, format="json")
    assert response.status_code == 400


def test_it_refuses_assigning_a_closed_complaint(alice, bob, complaint):
    services.complaint_withdraw(complaint=complaint, by=alice, reason="客户撤诉")
    token_client(alice)  # its token exists before the snapshot
    with nothing_changed():
        response = act(alice, complaint, "assign", {"handler": "bob"})
    assert response.status_code == 409


def test_it_switches_own_duty(bob):
    client = token_client(bob)
    response = client.post("/api/v1/staff/me/duty/", {"on_duty": False}, format="json")
    assert response.status_code == 200
    assert response.json() == {"username": "bob", "unit": "A", "on_duty": False}
    assert not StaffProfile.objects.get(user=bob).on_duty
    response = client.post("/api/v1/staff/me/duty/", {"on_duty": True}, format="json")
    assert response.json()["on_duty"] is True


@pytest.mark.parametrize("who", ["alice", "sam", "pat"])
def test_it_refuses_duty_for_non_branch(who, request):
    client = token_client(request.getfixturevalue(who))
    with nothing_changed():
        response = client.post("/api/v1/staff/me/duty/", {"on_duty": False}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("body", [{}, {"on_duty": "maybe"}, {"on_duty": None}])
def test_it_refuses_a_bad_duty_body(bob, body):
    client = token_client(bob)
    with nothing_changed():
        response = client.post("/api/v1/staff/me/duty/", body, format="json")
    assert response.status_code == 400


def test_it_refuses_duty_without_a_token(api, bob):
    with nothing_changed():
        response = api.post("/api/v1/staff/me/duty/", {"on_duty": False}, format="json")
    assert response.status_code == 401


def test_the_list_and_the_search_show_the_handler(bob, complaint):
    """Each row of the staff list and of the search names its 处理人 (null while unassigned)."""
    client = token_client(bob)
    row = client.get(URL).json()["results"][0]
    assert row["ticket_no"] == complaint.ticket_no
    assert row["handler"] is None and row["handler_name"] is None
    assert act(bob, complaint, "take").status_code == 200
    row = client.get(URL).json()["results"][0]
    assert (row["handler"], row["handler_name"]) == ("bob", "bob")
    found = client.post(f"{URL}search/", {"q": complaint.ticket_no}, format="json").json()
    assert [(r["ticket_no"], r["handler"]) for r in found["results"]] == [
        (complaint.ticket_no, "bob")
    ]
