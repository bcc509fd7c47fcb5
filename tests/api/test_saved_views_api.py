"""/api/v1/views/: the requesting user's saved views — list, create, rename, delete."""

from __future__ import annotations

import pytest

from complaints.models import SavedView
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db
URL = "/api/v1/views/"


def test_it_creates_and_lists_ones_own_views_and_the_units_shared_ones(as_user, bob, carol, org):
    org["a"].head = bob
    org["a"].save()
    client = as_user(bob)
    response = client.post(
        URL,
        {"name": "超时", "list": "queue", "query": "due=overdue&flag=urgent", "share": True},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["query"] == "flag=urgent&due=overdue" and created["shared_unit"] == "A"
    client.post(URL, {"name": "工作台", "list": "console", "query": ""}, format="json")
    assert [v["name"] for v in client.get(URL).json()["results"]] == ["超时"]
    assert [v["name"] for v in client.get(URL, {"list": "console"}).json()["results"]] == ["工作台"]
    assert as_user(carol).get(URL).json()["results"] == []


def test_the_owner_renames_and_deletes(as_user, bob):
    view = SavedView.objects.create(owner=bob, list="queue", name="旧", query="due=4h")
    client = as_user(bob)
    response = client.patch(f"{URL}{view.pk}/", {"name": "新"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "新"
    assert client.delete(f"{URL}{view.pk}/").status_code == 204
    assert not SavedView.objects.exists()


def test_another_users_view_is_refused_and_left_unchanged(as_user, bob, carol, sam, org):
    org["a"].head = bob
    org["a"].save()
    from tests.conftest import _user

    colleague = _user("dora", "branch", org["a"])
    shared = SavedView.objects.create(
        owner=bob, list="queue", name="共享", query="due=4h", shared_unit=org["a"]
    )
    for user, status in ((colleague, 403), (carol, 404), (sam, 404)):
        client = as_user(user)
        with nothing_changed():
            assert (
                client.patch(f"{URL}{shared.pk}/", {"name": "x"}, format="json").status_code
                == status
            )
            assert client.delete(f"{URL}{shared.pk}/").status_code == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "list": "queue"}, "name"),
        ({"name": "x", "list": "nowhere"}, "list"),
        ({"name": "x", "list": "queue", "query": "status=lost"}, "query"),
        ({"name": "x" * 41, "list": "queue"}, "name"),
    ],
)
def test_a_wrong_view_is_a_structured_400(as_user, bob, body, field):
    client = as_user(bob)
    with nothing_changed():
        response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_sharing_is_for_the_units_head_only(as_user, bob, sam):
    for user in (bob, sam):
        client = as_user(user)
        with nothing_changed():
            response = client.post(
                URL, {"name": "共享", "list": "queue", "query": "", "share": True}, format="json"
            )
        assert response.status_code == 403


def test_the_staff_list_takes_the_same_filters(as_user, alice, make_complaint):
    from complaints.models import Complaint

    plain = make_complaint(tracking_no="SF0000000001", phone="13800000001")
    chased = make_complaint(tracking_no="SF0000000002", phone="13800000002")
    Complaint.objects.filter(pk=chased.pk).update(chase_count=1)
    client = as_user(alice)
    body = client.get("/api/v1/complaints/", {"flag": "chased", "handler": "none"}).json()
    assert [r["ticket_no"] for r in body["results"]] == [chased.ticket_no]
    assert plain.ticket_no not in str(body)
    bad = client.get("/api/v1/complaints/", {"due": "someday"})
    assert bad.status_code == 400 and "due" in bad.json()["error"]["fields"]
    bad = client.get("/api/v1/complaints/", {"handler": "everyone"})
    assert bad.status_code == 400 and "handler" in bad.json()["error"]["fields"]
