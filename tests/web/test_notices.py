"""Staff notices in the console: the list, mark as read, the ticket link, the header badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from escalation.sweep import sla_sweep
from kernel.models import Notice
from kernel.outbox.delivery import outbox_deliver_due

pytestmark = pytest.mark.django_db


def _notice(user, *, complaint=None, level="warning", title="【时限预警】测试", at=None, **kw):
    from django.utils import timezone

    return Notice.objects.create(
        user=user,
        complaint_id=complaint.pk if complaint else None,
        level=level,
        title=title,
        body=kw.pop("body", "请尽快处理。"),
        created_at=at or timezone.now(),
        **kw,
    )


def test_it_lists_only_the_users_own_notices_newest_first(
    client_as, bob, carol, make_complaint, now
):
    complaint = make_complaint(unit_code="A")
    older = _notice(bob, complaint=complaint, title="较早的预警", at=now)
    newer = _notice(
        bob, complaint=complaint, level="breach", title="后来的超时", at=now + timedelta(hours=1)
    )
    _notice(carol, title="别人的通知")
    page = client_as(bob).get(reverse("web:notices")).content.decode()
    assert page.index(newer.title) < page.index(older.title)
    assert "别人的通知" not in page
    assert f"查看工单 {complaint.ticket_no}" in page
    assert ">已超时<" in page and ">时限预警<" in page
    assert "2 条未读" in page


def test_it_shows_only_unread_when_asked(client_as, bob, now):
    _notice(bob, title="未读的那条")
    _notice(bob, title="已读的那条", read_at=now)
    page = client_as(bob).get(reverse("web:notices"), {"show": "unread"}).content.decode()
    assert "未读的那条" in page and "已读的那条" not in page


@pytest.mark.parametrize("count", [1, 30])
def test_it_renders_the_notices_page_in_constant_queries(
    client_as, bob, make_complaint, count, django_assert_max_num_queries
):
    complaint = make_complaint(unit_code="A")
    for i in range(count):
        _notice(bob, complaint=complaint, title=f"通知{i}")
    client = client_as(bob)
    client.get(reverse("web:notices"))  # warm the session
    with django_assert_max_num_queries(7):
        response = client.get(reverse("web:notices"))
    assert response.content.decode().count('data-notice="') == count


@pytest.mark.parametrize("count", [0, 3, 30])
def test_it_counts_unread_in_the_badge_in_constant_queries(
    client_as, bob, now, count, django_assert_max_num_queries
):
    for i in range(count):
        _notice(bob, title=f"通知{i}")
    _notice(bob, title="已读", read_at=now)
    client = client_as(bob)
    client.get(reverse("web:notice_badge"))
    # Session, user, the staff profile (the partner guard, complaints/web/partner_guard.py), the
    # newest unread (≤ 5) and, only when there are 5 or more, the count.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("web:notice_badge"))
    html = response.content.decode()
    assert f'data-unread="{count}"' in html
    assert html.count('class="notice-feed"') == min(count, 5)
    # It polls itself: the next request is in the fragment.
    assert 'hx-trigger="every 30s"' in html


def test_it_loads_the_badge_on_every_page_without_a_query_of_its_own(client_as, bob):
    page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert 'id="notice-badge-slot" hx-get="/notices/badge/" hx-trigger="load"' in page


def test_it_marks_a_notice_read_with_htmx_and_updates_the_badge(client_as, bob, now):
    notice = _notice(bob)
    _notice(bob, title="另一条")
    response = client_as(bob).post(
        reverse("web:notice_read", args=[notice.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "标为已读" not in html.split('id="notice-badge-slot"')[0]  # the row says 已读 now
    assert 'hx-swap-oob="innerHTML"' in html and 'data-unread="1"' in html


def test_it_marks_a_notice_read_without_javascript(client_as, bob):
    notice = _notice(bob)
    response = client_as(bob).post(reverse("web:notice_read", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:notices")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_it_keeps_the_first_read_time(client_as, bob, now):
    notice = _notice(bob, read_at=now)
    client_as(bob).post(reverse("web:notice_read", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.read_at == now


def test_it_answers_not_found_for_another_users_notice(client_as, bob, carol):
    notice = _notice(carol)
    client = client_as(bob)
    assert client.post(reverse("web:notice_read", args=[notice.pk])).status_code == 404
    assert client.post(reverse("web:notice_open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_it_opens_the_ticket_and_marks_the_notice_read(client_as, bob, make_complaint):
    complaint = make_complaint(unit_code="A")
    notice = _notice(bob, complaint=complaint)
    response = client_as(bob).post(reverse("web:notice_open", args=[notice.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[complaint.ticket_no])
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_it_marks_all_read(client_as, bob, carol):
    for i in range(3):
        _notice(bob, title=f"通知{i}")
    theirs = _notice(carol)
    client_as(bob).post(reverse("web:notices_read_all"))
    assert not Notice.objects.filter(user=bob, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_needs_a_login(client):
    response = client.get(reverse("web:notices"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("web:notice_read", args=[1])).status_code == 302


def test_it_shows_the_sla_engines_warning_to_the_branch(client_as, bob, make_complaint, now):
    complaint = make_complaint(unit_code="A")
    sla_sweep(now=now + timedelta(hours=20))  # 80 % of the 24 h first response: a warning
    with time_machine.travel(now + timedelta(hours=20), tick=False):
        outbox_deliver_due()
        client = client_as(bob)
        badge = client.get(reverse("web:notice_badge")).content.decode()
        page = client.get(reverse("web:notices")).content.decode()
    # The assignment (新工单) when it was created for branch A, then the warning.
    assert 'data-unread="2"' in badge and 'data-level="warning"' in badge
    assert complaint.ticket_no in badge
    assert f"【时限预警】工单{complaint.ticket_no}" in page
    assert "11月17日" in page  # due time shown in Shanghai time


def test_it_sends_a_unit_head_without_a_staff_role_to_the_notices(client_as, org, nobody):
    org["a"].head = nobody
    org["a"].save()
    response = client_as(nobody).get("/")
    assert response.status_code == 302 and response.url == reverse("web:notices")
    assert client_as(nobody).get(response.url).status_code == 200


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/queue/", "/queue/"),
        ("https://evil.example/phish", "/notices/"),
        ("//evil.example/", "/notices/"),
    ],
)
def test_it_returns_only_to_pages_of_this_site(next_url, expected, client_as, bob):
    notice = _notice(bob)
    response = client_as(bob).post(reverse("web:notice_read", args=[notice.pk]), {"next": next_url})
    assert response.status_code == 302 and response["Location"] == expected
