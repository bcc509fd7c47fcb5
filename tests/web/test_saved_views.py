"""Saved views on the pages: save, list with counts, rename and delete one's own (issue 20 §3)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, SavedView
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(bob, org):
    org["a"].head = bob
    org["a"].save()
    return bob


def _count(page: str, name: str) -> str:
    found = re.search(
        rf">{name}(?: <span[^>]*>共享</span>)? <span [^>]*saved-view-count\">(\d+)<", page
    )
    return found.group(1) if found else ""


def test_it_saves_the_current_filters_and_shows_the_view_with_its_count(
    client_as, bob, alice, make_complaint, org, now
):
    urgent = services.complaint_dispatch(complaint=make_complaint(), unit=org["a"], by=alice)
    Complaint.objects.filter(pk=urgent.pk).update(priority="urgent")
    client = client_as(bob)
    response = client.post(
        reverse("web:saved_view_save"),
        {"list": "queue", "name": "紧急件", "query": "flag=urgent&due=&status="},
    )
    view = SavedView.objects.get(owner=bob)
    assert (view.name, view.list, view.query, view.shared_unit) == (
        "紧急件",
        "queue",
        "flag=urgent",
        None,
    )
    assert response.status_code == 302 and response.url == "/queue/?flag=urgent"
    page = client.get(response.url).content.decode()
    assert _count(page, "紧急件") == "1"
    assert 'href="?flag=urgent">紧急件' in page


def test_a_unit_head_shares_a_view_that_the_units_staff_see(client_as, head, org, carol):
    from tests.conftest import _user

    colleague = _user("dora", "branch", org["a"])
    client_as(head).post(
        reverse("web:saved_view_save"),
        {"list": "queue", "name": "共享超时视图", "query": "due=overdue", "share": "1"},
    )
    assert SavedView.objects.get().shared_unit == org["a"]
    assert "共享超时视图" in client_as(colleague).get(reverse("web:queue")).content.decode()
    assert "共享超时视图" not in client_as(carol).get(reverse("web:queue")).content.decode()


def test_someone_who_is_not_the_head_cannot_share_and_nothing_is_saved(client_as, bob, sam):
    for user in (bob, sam):  # branch staff not heading the unit; a supervisor
        client = client_as(user)
        with nothing_changed():
            response = client.post(
                reverse("web:saved_view_save"),
                {"list": "queue", "name": "共享试试", "query": "due=overdue", "share": "1"},
            )
        assert response.status_code == 403


def test_an_invalid_view_is_refused_with_a_message_and_not_saved(client_as, bob):
    client = client_as(bob)
    for data in (
        {"list": "queue", "name": "", "query": ""},
        {"list": "queue", "name": "坏的", "query": "status=lost"},
        {"list": "elsewhere", "name": "x", "query": ""},
    ):
        with nothing_changed():
            response = client.post(reverse("web:saved_view_save"), data)
        assert response.status_code == 302
    page = client.get(reverse("web:queue")).content.decode()
    assert "请填写视图名称" in page or "无效" in page


def test_the_owner_renames_and_deletes_their_view(client_as, bob):
    view = SavedView.objects.create(owner=bob, list="queue", name="旧名", query="due=4h")
    client = client_as(bob)
    client.post(reverse("web:saved_view_change", args=[view.pk, "rename"]), {"name": "新名"})
    view.refresh_from_db()
    assert view.name == "新名"
    assert "新名" in client.get(reverse("web:queue")).content.decode()
    client.post(reverse("web:saved_view_change", args=[view.pk, "delete"]))
    assert not SavedView.objects.filter(pk=view.pk).exists()
    assert "新名" not in client.get(reverse("web:queue")).content.decode()


def test_another_users_view_cannot_be_renamed_or_deleted(client_as, head, org, carol):
    from tests.conftest import _user

    colleague = _user("dora", "branch", org["a"])
    shared = SavedView.objects.create(
        owner=head, list="queue", name="共享", query="due=4h", shared_unit=org["a"]
    )
    own = SavedView.objects.create(owner=head, list="queue", name="个人", query="due=today")
    cases = [
        (colleague, shared, 403),  # sees it, may not change it
        (colleague, own, 404),  # does not see it
        (carol, shared, 404),  # another unit
    ]
    for user, view, status in cases:
        client = client_as(user)
        for change, data in (("rename", {"name": "改掉"}), ("delete", {})):
            with nothing_changed():
                response = client.post(
                    reverse("web:saved_view_change", args=[view.pk, change]), data
                )
            assert response.status_code == status, (user, view.name, change)


def test_the_console_has_its_own_views(client_as, alice, make_complaint):
    make_complaint()
    SavedView.objects.create(owner=alice, list="console", name="电话件", query="channel=phone")
    SavedView.objects.create(owner=alice, list="queue", name="队列视图", query="due=4h")
    page = client_as(alice).get(reverse("web:console")).content.decode()
    assert _count(page, "电话件") == "1"
    assert "队列视图" not in page


@pytest.mark.parametrize(
    "data",
    [
        {"list": "queue", "name": "", "query": "status=x\r\nSet-Cookie: a=b"},
        {"list": "queue", "name": "", "query": "", "next": "/queue/\r\nSet-Cookie: a=b"},
        {"list": "queue", "name": "", "query": "", "next": "https://elsewhere.example/"},
    ],
)
def test_a_hostile_next_or_query_is_not_followed_and_not_a_500(client_as, bob, data):
    client = client_as(bob)
    with nothing_changed():
        response = client.post(reverse("web:saved_view_save"), data)
    assert response.status_code == 302
    assert "\n" not in response["Location"] and "elsewhere" not in response["Location"]
    assert response["Location"].startswith("/queue/")
    bulk = client.post(reverse("web:bulk"), {"action": "mark_read", "tickets": ["X"], **data})
    assert bulk.status_code == 200 and "elsewhere" not in bulk.content.decode()
