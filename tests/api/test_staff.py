"""Staff over the API: the scoped list, the detail with audited personal data, and actions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from complaints import services
from complaints.models import PersonalDataAccess
from tests.conftest import NOW, new_complaint
from tests.unchanged import nothing_changed

from .conftest import token_client

URL = "/api/v1/complaints/"
REPLY = {
    "facts": "经查，该快件11月14日16:20收寄，次日到达网点甲，因分拣错误滞留一天。",
    "process": "网点甲投诉专员于11月16日10:30电话联系客户，说明原因并致歉，当日安排专人派送。",
    "result": "快件已于11月16日15:00妥投，客户本人签收，表示认可。",
    "facts_confirmed": True,
    "our_fault": True,
}


def create(by, *, unit=None, at=None, **fields):
    complaint, _ = services.complaint_create(
        data=new_complaint(**fields), by=by, now=at or timezone.now()
    )
    if unit is not None:
        complaint = services.complaint_dispatch(complaint=complaint, unit=unit, by=by)
    return complaint


def act(client, complaint, action, body=None):
    return client.post(f"{URL}{complaint.ticket_no}/actions/{action}/", body or {}, format="json")


# --- The list -----------------------------------------------------------------------------


def test_it_lists_nearest_deadline_first_and_pages_by_cursor(alice, org):
    base = timezone.now()
    made = [
        create(
            alice, at=base - timedelta(hours=h), tracking_no=f"YT{h:08d}", phone=f"1390000{h:04d}"
        )
        for h in range(7)
    ]
    closed = create(alice, tracking_no="ZT00000001", phone="13700000001")
    services.complaint_reject(complaint=closed, by=alice, reason="不属于受理范围")
    client = token_client(alice)
    seen, url = [], f"{URL}?page_size=3"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 3
        seen += [row["ticket_no"] for row in body["results"]]
        url = body["next"]
    oldest_first = [c.ticket_no for c in reversed(made)]  # the oldest is due first
    assert seen == [*oldest_first, closed.ticket_no]  # no running deadline: last


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=verifying", {"a1", "b1"}),
        ("unit=A", {"a1"}),
        ("priority=urgent", {"urgent"}),
        ("category=loss", {"b1"}),
        ("tracking_no=yt00000001", {"a1"}),
        ("overdue=true", {"old"}),
        ("overdue=false", {"a1", "b1", "urgent"}),
        ("created_before=2026-01-01T00:00:00%2B08:00", {"old"}),
        ("created_after=2026-06-01", {"a1", "b1", "urgent"}),
    ],
)
@time_machine.travel(NOW, tick=False)  # the dates in the queries are fixed
def test_it_filters_the_list(alice, org, query, expected):
    tickets = {
        "a1": create(alice, unit=org["a"], tracking_no="YT00000001", phone="13900000001"),
        "b1": create(
            alice, unit=org["b"], tracking_no="YT00000002", phone="13900000002", category="loss"
        ),
        "urgent": create(
            alice,
            tracking_no="YT00000003",
            phone="13900000003",
            description="再不处理我就打12305投诉你们！",
        ),
        "old": create(
            alice,
            at=datetime(2025, 11, 16, 2, 0, tzinfo=UTC),  # a year before NOW
            tracking_no="YT00000004",
            phone="13900000004",
        ),
    }
    names = {c.ticket_no: name for name, c in tickets.items()}
    body = token_client(alice).get(f"{URL}?{query}").json()
    assert {names[row["ticket_no"]] for row in body["results"]} == expected


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "priority=1",
        "overdue=maybe",
        "created_after=yesterday",
        "page_size=0",
        "page_size=101",
        "cursor=!!!",
        "cursor=ZHw5OTk5OTk5OTk5OTk5OTk5OXwx",
        "cursor=bnx8OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # an id beyond bigint
        "tracking_no=" + "x" * 41,
    ],
)
def test_it_refuses_bad_filters_with_400(alice, query):
    response = token_client(alice).get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"


def test_it_scopes_the_list_to_the_branch(alice, bob, org):
    mine = create(alice, unit=org["a"], tracking_no="YT00000001", phone="13900000001")
    create(alice, unit=org["b"], tracking_no="YT00000002", phone="13900000002")
    create(alice, tracking_no="YT00000003", phone="13900000003")
    body = token_client(bob).get(URL).json()
    assert [row["ticket_no"] for row in body["results"]] == [mine.ticket_no]
    # take: nobody handles it yet (issue 20 §2)
    assert body["results"][0]["available_actions"] == ["contact", "reply", "pause", "take"]
    assert body["results"][0]["phone"] == "139****0001"  # masked in lists, even for handlers


@pytest.mark.parametrize("persona", ["pat", "nobody"])
def test_it_refuses_the_list_to_people_without_staff_rights(request, persona):
    response = token_client(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 403


def test_it_refuses_the_list_anonymously_with_401(api, db):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_costs_the_same_queries_for_any_page(alice, org, django_assert_max_num_queries):
    for i in range(30):
        create(
            alice,
            unit=org["a"] if i % 2 else None,
            tracking_no=f"YT{i:08d}",
            phone=f"1390000{i:04d}",
        )
    client = token_client(alice)
    client.get(f"{URL}?page_size=2")  # warm up: token lookup, permission caches per request
    with django_assert_max_num_queries(6):
        first = client.get(f"{URL}?page_size=5").json()
    with django_assert_max_num_queries(6):
        big = client.get(f"{URL}?page_size=25&cursor={first['next'].split('cursor=')[1]}").json()
    assert len(big["results"]) == 25


# --- Detail and personal data ---------------------------------------------------------------


def test_it_shows_handlers_the_full_phone_and_records_the_view(bob, org, alice):
    complaint = create(alice, unit=org["a"])
    body = token_client(bob).get(f"{URL}{complaint.ticket_no}/").json()
    assert body["phone"] == "13800000000" and body["personal_data_visible"] is True
    access = PersonalDataAccess.objects.get(complaint=complaint)
    assert access.user == bob


def test_it_hides_another_units_ticket_as_not_found(carol, alice, org):
    complaint = create(alice, unit=org["a"])
    client = token_client(carol)
    detail = client.get(f"{URL}{complaint.ticket_no}/")
    with nothing_changed():
        action = act(client, complaint, "contact", {"channel": "phone", "note": "已联系"})
    missing = client.get(f"{URL}TS20990101000001/")
    assert detail.status_code == action.status_code == 404
    assert detail.content == missing.content
    assert not PersonalDataAccess.objects.exists()


# --- Actions --------------------------------------------------------------------------------


def test_it_walks_the_whole_loop_through_actions(alice, bob, org):
    complaint = create(alice)
    agent, branch = token_client(alice), token_client(bob)

    response = act(agent, complaint, "dispatch", {"unit": "A"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verifying" and response.json()["unit"] == "A"
    assert "reassign" in response.json()["available_actions"]

    response = act(branch, complaint, "take")  # 我来处理 (issue 20 §2)
    assert response.status_code == 200 and response.json()["handler"] == "bob"

    response = act(branch, complaint, "contact", {"channel": "phone", "note": "已电话联系客户"})
    assert response.status_code == 200
    assert response.json()["available_actions"] == ["contact", "reply", "pause"]

    response = act(branch, complaint, "reply", REPLY)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "answered"
    assert response.json()["available_actions"] == ["contact"]

    response = act(agent, complaint, "start_follow_up")
    assert response.json()["status"] == "follow_up"
    response = act(agent, complaint, "close", {"satisfied": True})
    assert response.json()["status"] == "closed"
    assert response.json()["available_actions"] == ["reopen"]

    response = act(agent, complaint, "reopen", {"reason": "客户来电表示快件仍有破损"})
    assert response.json()["status"] == "verifying"


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("dispatch", {}, "unit"),
        ("dispatch", {"unit": "NOPE"}, "unit"),
        ("contact", {"channel": "pigeon", "note": "x"}, "channel"),
        ("contact", {"channel": "phone", "note": ""}, "note"),
        ("reject", {"reason": ""}, "reason"),
        ("pause", {}, "reason"),
        ("escalate", {"reason": ["a"]}, "reason"),
    ],
)
def test_it_refuses_bad_action_input_with_400(alice, action, body, field):
    complaint = create(alice)
    response = act(token_client(alice), complaint, action, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_it_names_the_reply_parts_with_the_api_field_names(alice, bob, org):
    complaint = create(alice, unit=org["a"])
    response = act(token_client(bob), complaint, "reply", {**REPLY, "result": "已妥投"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"result"}


def test_it_answers_an_action_the_state_does_not_allow_with_409(alice, org):
    complaint = create(alice, unit=org["a"])
    response = act(token_client(alice), complaint, "dispatch", {"unit": "B"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_it_answers_an_action_the_user_may_not_take_with_403(bob, alice, org):
    complaint = create(alice, unit=org["a"])
    client = token_client(bob)
    with nothing_changed():
        response = act(client, complaint, "reject", {"reason": "不属于受理范围"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_it_answers_an_unknown_action_with_404(alice):
    complaint = create(alice)
    response = act(token_client(alice), complaint, "teleport")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_pauses_resumes_and_escalates(alice):
    complaint = create(alice)
    client = token_client(alice)
    paused = act(client, complaint, "pause", {"reason": "等待客户补充照片"}).json()
    assert paused["is_paused"] is True and "resume" in paused["available_actions"]
    assert "pause" not in paused["available_actions"]
    assert act(client, complaint, "pause", {"reason": "again"}).status_code == 409
    resumed = act(client, complaint, "resume").json()
    assert resumed["is_paused"] is False
    escalated = act(client, complaint, "escalate", {"reason": "客户已向12305申诉"}).json()
    assert escalated["is_escalated"] is True and escalated["priority"] == "urgent"
    assert "escalate" not in escalated["available_actions"]


def test_it_reassigns_rejects_and_withdraws(alice, org):
    client = token_client(alice)
    one = create(alice, unit=org["a"], tracking_no="YT00000001", phone="13900000001")
    body = act(client, one, "reassign", {"unit": "B", "reason": "地址属网点乙"}).json()
    assert body["unit"] == "B"
    two = create(alice, tracking_no="YT00000002", phone="13900000002")
    assert act(client, two, "reject", {"reason": "重复投诉"}).json()["status"] == "rejected"
    three = create(alice, tracking_no="YT00000003", phone="13900000003")
    assert act(client, three, "withdraw", {"reason": "客户撤诉"}).json()["status"] == "withdrawn"
    assert act(client, three, "withdraw", {"reason": "again"}).status_code == 409


def test_it_closes_without_confirmation_only_with_a_note(alice, bob, org):
    complaint = create(alice, unit=org["a"])
    services.complaint_reply(
        complaint=complaint,
        by=bob,
        reply=services.ReplyInput(
            basic_facts=REPLY["facts"], handling=REPLY["process"], result=REPLY["result"]
        ),
    )
    client = token_client(alice)
    refused = act(client, complaint, "close", {"satisfied": False})
    assert refused.status_code == 400 and "note" in refused.json()["error"]["fields"]
    closed = act(client, complaint, "close", {"satisfied": False, "note": "三次致电未接通"})
    assert closed.json()["status"] == "closed"


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_racing_agents_win_and_answers_the_other_409(alice, sam, org):
    complaint = create(alice)
    barrier = threading.Barrier(2)
    results = []

    def dispatch(user, unit):
        client = token_client(user)
        barrier.wait()
        try:
            results.append(act(client, complaint, "dispatch", {"unit": unit}).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=dispatch, args=(alice, "A")),
        threading.Thread(target=dispatch, args=(sam, "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [200, 409]
    assert complaint.transitions.filter(transition="dispatch").count() == 1
