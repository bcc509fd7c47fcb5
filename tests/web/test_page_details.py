"""What the pages say and offer (issue 17, section 3): the branch queue's 待客服回访, the
unsatisfied follow-up's message, the dispatch picker, the reply's photo, the ticket's clock,
the favicon."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image

from complaints import services
from complaints.models import FollowUpOutcome, Status, Unit
from tests.conftest import GOOD_REPLY

pytestmark = pytest.mark.django_db


def _dispatched(make_complaint, alice, unit, at, **fields):
    complaint = make_complaint(at=at, **fields)
    return services.complaint_dispatch(complaint=complaint, unit=unit, by=alice, now=at)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(buffer, "PNG")
    return buffer.getvalue()


def test_it_shows_answered_complaints_apart_in_the_branch_queue(
    client_as, bob, alice, make_complaint, org, now
):
    mine = _dispatched(make_complaint, alice, org["a"], now)
    answered = _dispatched(
        make_complaint, alice, org["a"], now, tracking_no="SF0000000002", phone="13800000002"
    )
    services.complaint_reply(complaint=answered, by=bob, reply=GOOD_REPLY, now=now)
    # Two days on, both are past a deadline: the branch's reply, and the agent's follow-up call.
    with time_machine.travel(now + timedelta(days=2), tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    main, _, apart = page.partition('id="queue-awaiting"')
    assert f'queue-row level-breached" data-ticket="{mine.ticket_no}"' in main
    assert answered.ticket_no not in main
    assert f'queue-row level-agent" data-ticket="{answered.ticket_no}"' in apart
    assert "本单位已超时 1" in page and "待客服回访 1" in page
    assert "不计入本单位超时" in page  # the legend says so


def test_it_keeps_the_follow_ups_in_the_agents_queue(
    client_as, bob, alice, make_complaint, org, now
):
    answered = _dispatched(make_complaint, alice, org["a"], now)
    services.complaint_reply(complaint=answered, by=bob, reply=GOOD_REPLY, now=now)
    with time_machine.travel(now + timedelta(days=2), tick=False):
        page = client_as(alice).get(reverse("web:queue")).content.decode()
    assert f'queue-row level-breached" data-ticket="{answered.ticket_no}"' in page
    assert 'id="queue-awaiting"' not in page


def test_it_says_where_an_unsatisfied_follow_up_sent_the_complaint(
    client_as, bob, alice, make_complaint, org
):
    complaint = _dispatched(make_complaint, alice, org["a"], None)
    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY)
    response = client_as(alice).post(
        reverse("web:action", args=[complaint.ticket_no, "follow_up"]),
        {
            "follow_up-outcome": FollowUpOutcome.UNSATISFIED,
            "follow_up-customer_words": "赔偿太少",
        },
        HTTP_HX_REQUEST="true",
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING
    due = date_format(timezone.localtime(complaint.resolution_due), "n月j日 H:i")
    assert f"客户不满意，已重新下发至网点甲，处理时限 {due}。" in response.content.decode()


def test_it_says_a_satisfied_follow_up_closed_the_loop(client_as, bob, alice, make_complaint, org):
    complaint = _dispatched(make_complaint, alice, org["a"], None)
    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY)
    response = client_as(alice).post(
        reverse("web:action", args=[complaint.ticket_no, "follow_up"]),
        {"follow_up-outcome": FollowUpOutcome.SATISFIED},
        HTTP_HX_REQUEST="true",
    )
    assert "回访结果已记录，工单已闭环。" in response.content.decode()


def test_it_offers_branches_only_and_suggests_the_earlier_complaints_unit(
    client_as, alice, make_complaint, org, now
):
    _dispatched(make_complaint, alice, org["b"], now - timedelta(days=3), tracking_no="ZT1234500")
    complaint = make_complaint(tracking_no="ZT1234500", phone="13900000001", at=now)
    page = client_as(alice).get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    picker = page.split('id="id_dispatch-unit"')[1].split("</select>")[0]
    assert '<optgroup label="测试区域">' in picker
    assert "网点甲（A）" in picker and "网点乙（B）" in picker
    assert "测试公司" not in picker and "测试区域（R）" not in picker  # no head office, no region
    assert f'value="{org["b"].pk}" selected' in picker
    assert "已预选网点乙：同运单的上一宗投诉" in page
    assert 'class="form-control mb-1 unit-filter" data-filters="id_dispatch-unit"' in page


def test_it_suggests_nothing_without_an_earlier_complaint(client_as, alice, make_complaint, now):
    complaint = make_complaint(at=now)
    page = client_as(alice).get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert "已预选" not in page
    assert '<option value="" selected>请选择单位</option>' in page
    assert Unit.objects.filter(kind=Unit.Kind.BRANCH).count() == 2


def test_it_keeps_the_photo_taken_with_the_reply(
    client_as, bob, alice, make_complaint, org, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    complaint = _dispatched(make_complaint, alice, org["a"], None)
    client = client_as(bob)
    page = client.get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert 'accept="image/*" capture="environment"' in page
    response = client.post(
        reverse("web:action", args=[complaint.ticket_no, "reply"]),
        {
            "reply-basic_facts": GOOD_REPLY.basic_facts,
            "reply-handling": GOOD_REPLY.handling,
            "reply-result": GOOD_REPLY.result,
            "reply-file": SimpleUploadedFile("现场.png", _png(), content_type="image/png"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Action-Status"] == "200"
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED
    attachment = complaint.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("现场.png", "image/png")
    assert complaint.transitions.filter(transition="evidence").count() == 1


def test_it_keeps_neither_reply_nor_photo_when_the_photo_is_no_image(
    client_as, bob, alice, make_complaint, org, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    complaint = _dispatched(make_complaint, alice, org["a"], None)
    response = client_as(bob).post(
        reverse("web:action", args=[complaint.ticket_no, "reply"]),
        {
            "reply-basic_facts": GOOD_REPLY.basic_facts,
            "reply-handling": GOOD_REPLY.handling,
            "reply-result": GOOD_REPLY.result,
            "reply-file": SimpleUploadedFile("a.png", b"<html>not a picture</html>"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Action-Status"] == "400"
    assert "只接受JPEG、PNG、WebP图片或PDF文件" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING
    assert not complaint.attachments.exists() and not complaint.replies.exists()
    assert list(tmp_path.rglob("*.*")) == []


def test_it_shows_an_overdue_ticket_clock_as_text_beside_its_badge(
    client_as, alice, make_complaint, now
):
    complaint = make_complaint(at=now)
    with time_machine.travel(now + timedelta(days=2), tick=False):
        page = client_as(alice).get(reverse("web:ticket", args=[complaint.ticket_no]))
    clock = page.content.decode().split('id="ticket-clock"')[1].split("</span></span>")[0]
    assert '<span class="badge text-bg-danger">已超时</span>' in clock
    # The countdown is page text in red, not inside the red badge (where red vanished).
    assert 'class="countdown fw-semibold text-danger"' in clock
    assert clock.index("</span>") < clock.index("countdown")


def test_it_serves_a_favicon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
