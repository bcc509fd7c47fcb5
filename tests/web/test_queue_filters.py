"""The work lists' filters, tabs, cursor pages and bulk form (issue 20 §3)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, SavedView
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db


def _dispatched(make_complaint, alice, unit, at, i, **fields):
    complaint = make_complaint(at=at, tracking_no=f"SF{i:010d}", phone=f"1380000{i:04d}", **fields)
    return services.complaint_dispatch(complaint=complaint, unit=unit, by=alice, now=at)


def _tickets(page: str) -> list[str]:
    return re.findall(r'class="queue-row[^"]*" data-ticket="([A-Z0-9]+)"', page)


FILTER_SETS = [
    {},
    {"status": "verifying", "category": "delay", "priority": "normal", "due": "overdue"},
    {"flag": ["urgent", "repeat", "chased"], "channel": "phone", "handler": "none"},
    {"due": "today", "accepted_from": "2026-11-01", "accepted_to": "2026-11-30", "handler": "me"},
]


@pytest.mark.parametrize("chosen", FILTER_SETS)
def test_it_stays_within_five_queries_whatever_the_filters_and_saved_views(
    client_as, bob, alice, make_complaint, org, now, chosen, django_assert_max_num_queries
):
    for i in range(12):
        _dispatched(make_complaint, alice, org["a"], now - timedelta(hours=i), i)
    for name, query in (("超时", "due=overdue"), ("紧急", "flag=urgent"), ("我的", "handler=me")):
        SavedView.objects.create(owner=bob, list="queue", name=name, query=query)
    client = client_as(bob)
    client.get(reverse("web:queue"))  # warm the session and the saved views' cache
    with django_assert_max_num_queries(5):
        response = client.get(reverse("web:queue"), chosen)
    assert response.status_code == 200
    with django_assert_max_num_queries(5):
        client.get(reverse("web:queue_rows"), {**chosen, "size": 5})


def test_it_narrows_the_rows_and_keeps_the_filters_in_links_and_polling(
    client_as, bob, alice, make_complaint, org, now
):
    normal = _dispatched(make_complaint, alice, org["a"], now, 1)
    urgent = _dispatched(make_complaint, alice, org["a"], now, 2)
    Complaint.objects.filter(pk=urgent.pk).update(priority="urgent")
    page = client_as(bob).get(reverse("web:queue"), {"flag": "urgent"}).content.decode()
    assert _tickets(page) == [urgent.ticket_no]
    assert normal.ticket_no not in page
    # The polling refresh asks for the same filters; the checkbox is ticked in the bar.
    assert 'hx-get="/queue/rows/?flag=urgent&size=50"' in page
    assert 'id="f-flag-urgent" name="flag" value="urgent" checked' in page


@pytest.mark.parametrize(
    "query", [{"status": "lost"}, {"due": "yesterday"}, {"accepted_from": "2026-02-30"}]
)
def test_an_unknown_filter_value_is_a_chinese_error_not_a_500(client_as, bob, query):
    response = client_as(bob).get(reverse("web:queue"), query)
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()
    assert client_as(bob).get(reverse("web:queue_rows"), query).status_code == 400


def test_the_tabs_show_mine_and_unassigned_with_counts(
    client_as, bob, alice, make_complaint, org, now
):
    mine = _dispatched(make_complaint, alice, org["a"], now, 1)
    free = _dispatched(make_complaint, alice, org["a"], now, 2)
    Complaint.objects.filter(pk=mine.pk).update(handler=bob)
    client = client_as(bob)
    page = client.get(reverse("web:queue")).content.decode()
    assert re.search(r'data-tab="me">我的工单 <span class="badge[^"]*">1<', page)
    assert re.search(r'data-tab="none">未分配 <span class="badge[^"]*">1<', page)
    assert _tickets(client.get(reverse("web:queue"), {"handler": "me"}).content.decode()) == [
        mine.ticket_no
    ]
    assert _tickets(client.get(reverse("web:queue"), {"handler": "none"}).content.decode()) == [
        free.ticket_no
    ]


def test_cursor_pages_walk_the_whole_queue_once_in_order(
    client_as, bob, alice, make_complaint, org, now
):
    made = [
        _dispatched(make_complaint, alice, org["a"], now - timedelta(hours=i), i) for i in range(7)
    ]
    # Two answered ones wait for the agent: after the branch's own work, across the pages too.
    for c in made[:2]:
        services.complaint_reply(complaint=c, by=bob, reply=_reply(), now=now)
    client = client_as(bob)
    seen, url, params = [], reverse("web:queue"), {"size": 2}
    for _ in range(10):
        page = client.get(url, params).content.decode()
        seen += _tickets(page)
        found = re.search(r'href="\?size=2&cursor=([^"]+)" id="queue-next"', page)
        if not found:
            break
        params = {"size": 2, "cursor": found.group(1)}
    own = sorted(made[2:], key=lambda c: (c.next_deadline, c.pk))
    assert seen[:5] == [c.ticket_no for c in own]
    assert sorted(seen[5:]) == sorted(c.ticket_no for c in made[:2])
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "params", [{"page": "3"}, {"cursor": "not-a-cursor"}, {"cursor": "x" * 500}]
)
def test_old_page_links_and_broken_cursors_show_the_first_page(
    client_as, bob, alice, make_complaint, org, now, params
):
    first = _dispatched(make_complaint, alice, org["a"], now - timedelta(hours=1), 1)
    response = client_as(bob).get(reverse("web:queue"), params)
    assert response.status_code == 200
    assert _tickets(response.content.decode()) == [first.ticket_no]


def _reply():
    from tests.conftest import GOOD_REPLY

    return GOOD_REPLY


def test_the_bulk_form_lists_what_was_done_and_what_was_refused(
    client_as, alice, make_complaint, org, now
):
    fresh = make_complaint(tracking_no="SF0000000001", phone="13800000001")
    sent = _dispatched(make_complaint, alice, org["b"], now, 2)
    response = client_as(alice).post(
        reverse("web:bulk"),
        {
            "action": "dispatch",
            "unit": "A",
            "tickets": [fresh.ticket_no, sent.ticket_no],
            "list": "queue",
            "next": "/queue/?flag=urgent",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "完成 1 件，未执行 1 件。" in page
    assert f'data-ticket="{fresh.ticket_no}"' in page.split('id="bulk-done"')[1].split("</ul>")[0]
    assert sent.ticket_no in page.split('id="bulk-refused"')[1]
    assert 'href="/queue/?flag=urgent" id="bulk-back"' in page
    assert Complaint.objects.get(pk=fresh.pk).unit == org["a"]
    assert Complaint.objects.get(pk=sent.pk).unit == org["b"]


def test_a_bulk_request_without_a_unit_changes_nothing_and_says_why(
    client_as, alice, make_complaint
):
    fresh = make_complaint()
    client = client_as(alice)
    with nothing_changed():
        response = client.post(
            reverse("web:bulk"),
            {"action": "dispatch", "tickets": [fresh.ticket_no], "list": "queue"},
        )
    assert response.status_code == 302
    assert "请选择有效的责任单位" in client.get(response.url).content.decode()


def test_branch_staff_are_offered_only_what_they_may_do(
    client_as, bob, alice, make_complaint, org, now
):
    _dispatched(make_complaint, alice, org["a"], now, 1)
    page = client_as(bob).get(reverse("web:queue")).content.decode()
    actions = re.findall(
        r'<option value="(\w+)">', page.split('id="bulk-action"')[1].split("</select>")[0]
    )
    assert actions == ["mark_read", "note"]
    assert 'name="tickets"' in page


def test_the_console_lists_take_the_same_filters(client_as, alice, make_complaint):
    normal = make_complaint(tracking_no="SF0000000001", phone="13800000001")
    urgent = make_complaint(tracking_no="SF0000000002", phone="13800000002")
    Complaint.objects.filter(pk=urgent.pk).update(priority="urgent")
    client = client_as(alice)
    page = client.get(reverse("web:console"), {"priority": "urgent"}).content.decode()
    assert urgent.ticket_no in page and normal.ticket_no not in page
    assert client.get(reverse("web:console"), {"priority": "x"}).status_code == 400


def test_an_agents_cursor_pages_walk_every_units_queue_once_in_order(
    client_as, alice, make_complaint, org, now
):
    made = [
        _dispatched(make_complaint, alice, org["a" if i % 2 else "b"], now - timedelta(hours=i), i)
        for i in range(5)
    ]
    client = client_as(alice)
    seen, params = [], {"size": 2, "status": "verifying"}
    for _ in range(5):
        page = client.get(reverse("web:queue"), params).content.decode()
        seen += _tickets(page)
        found = re.search(r'cursor=([^"]+)" id="queue-next"', page)
        if not found:
            break
        params = {**params, "cursor": found.group(1)}
    assert seen == [c.ticket_no for c in sorted(made, key=lambda c: (c.next_deadline, c.pk))]
