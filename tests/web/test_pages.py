"""The staff console's pages, through Django's test client on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, PersonalDataAccess, Status
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

INTAKE = {
    "tracking_no": "YT9988776655",
    "phone": "139 0000 1234",
    "complainant_name": "测试来电人",
    "party": "recipient",
    "channel": "phone",
    "category": "damage",
    "description": "收到时外箱破损，里面的瓷碗碎了。",
    "demand": "compensation",
    "demand_detail": "",
    "service": "express",
}


def test_it_sends_each_role_to_its_own_home(client_as, alice, bob, sam, nobody):
    assert client_as(alice).get("/").url == reverse("web:console")
    assert client_as(bob).get("/").url == reverse("web:queue")
    assert client_as(sam).get("/").url == reverse("web:queue")
    response = client_as(nobody).get("/")
    assert response.status_code == 403
    assert "没有工单系统的员工角色" in response.content.decode()


def test_it_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("web:queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_takes_a_phone_complaint_and_shows_the_access_code_once(client_as, alice):
    client = client_as(alice)
    response = client.post(reverse("web:console"), {**INTAKE, "key_account": "on"})
    complaint = Complaint.objects.get(tracking_no="YT9988776655")
    assert response.url == reverse("web:intake_done", args=[complaint.ticket_no])
    assert complaint.phone == "13900001234"
    assert complaint.priority == "urgent"
    assert complaint.owner == alice
    page = client.get(response.url).content.decode()
    assert complaint.ticket_no in page
    code = page.split('id="access-code">')[1].split("<")[0]
    assert services.access_code_matches(complaint, code)
    assert "查询码已显示过" in client.get(response.url).content.decode()


def test_it_shows_field_errors_in_chinese_and_stores_nothing(client_as, alice):
    response = client_as(alice).post(
        reverse("web:console"), {**INTAKE, "phone": "12345", "description": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写正确的手机号或带区号的固定电话。" in page or "这个字段是必填项" in page
    assert not Complaint.objects.exists()


def test_it_takes_a_phone_as_long_as_the_api_does(client_as, alice):
    typed = "0086 - 139 - 0000 - 1234"  # 24 characters: the model's 30, as for the API
    response = client_as(alice).post(reverse("web:console"), {**INTAKE, "phone": typed})
    assert response.status_code == 302
    assert Complaint.objects.get().phone == "13900001234"


def test_it_shows_a_service_field_error_next_to_its_field(client_as, alice):
    response = client_as(alice).post(reverse("web:console"), {**INTAKE, "phone": "12345"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_phone-error" role="alert">请填写正确的手机号或带区号的固定电话。' in page
    assert not Complaint.objects.exists()


def test_it_finds_earlier_complaints_as_the_agent_types(client_as, alice, make_complaint):
    earlier = make_complaint(tracking_no="SF5550001111", phone="13700000001")
    other = make_complaint(tracking_no="SF5550002222", phone="13700000002")
    client = client_as(alice)
    page = client.get(reverse("web:earlier"), {"tracking_no": "sf5550001111"}).content.decode()
    assert earlier.ticket_no in page and other.ticket_no not in page
    page = client.post(reverse("web:earlier"), {"phone": "137-0000-0002"}).content.decode()
    assert other.ticket_no in page and earlier.ticket_no not in page
    page = client.get(reverse("web:earlier"), {"tracking_no": "NOPE00000"}).content.decode()
    assert "未找到" in page


def test_it_refuses_another_units_complaint_by_url_as_not_found(
    client_as, carol, make_complaint, org, alice
):
    complaint = make_complaint()
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    response = client_as(carol).get(reverse("web:ticket", args=[complaint.ticket_no]))
    assert response.status_code == 404
    assert "不存在" in response.content.decode()
    carols = client_as(carol)
    with nothing_changed():  # no contact, no audit row, no stopped timer
        response = carols.post(
            reverse("web:action", args=[complaint.ticket_no, "contact"]),
            {"contact-method": "phone", "contact-reached": "on", "contact-summary": "试图越权"},
        )
    assert response.status_code == 404


def test_it_shows_only_allowed_actions(client_as, alice, bob, make_complaint, org, now):
    complaint = make_complaint()
    page = client_as(alice).get(reverse("web:ticket", args=[complaint.ticket_no])).content
    page = page.decode()
    assert 'data-action="dispatch"' in page
    assert 'data-action="reply"' not in page
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    page = client_as(bob).get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert 'data-action="reply"' in page
    assert 'data-action="contact"' in page
    assert 'data-action="dispatch"' not in page
    assert 'data-action="withdraw"' not in page  # branch staff may not register a withdrawal


def test_it_refuses_a_vague_reply_inline_and_keeps_the_state(
    client_as, bob, alice, make_complaint, org
):
    complaint = make_complaint()
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    url = reverse("web:action", args=[complaint.ticket_no, "reply"])
    response = client_as(bob).post(
        url,
        {"reply-basic_facts": "已妥投", "reply-handling": "已处理", "reply-result": "已解决"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response["X-Action-Status"] == "400"
    assert "“基本情况”不能只写“已妥投”这类模糊答复" in page
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING


def test_it_checks_the_reply_parts_while_typing(client_as, bob, alice, make_complaint, org):
    complaint = make_complaint()
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    response = client_as(bob).post(
        reverse("web:reply_check", args=[complaint.ticket_no]),
        {"reply-basic_facts": "我局正常发出", "reply-handling": "", "reply-result": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="reply-basic_facts",
    )
    page = response.content.decode()
    assert "模糊答复" in page
    assert "请填写“处理经过”" not in page  # not yet written: no nagging
    response = client_as(bob).post(
        reverse("web:reply_check", args=[complaint.ticket_no]),
        {
            "reply-basic_facts": GOOD_REPLY.basic_facts,
            "reply-handling": GOOD_REPLY.handling,
            "reply-result": GOOD_REPLY.result,
        },
    )
    assert "回复要素齐全" in response.content.decode()


def test_it_tells_the_second_person_that_someone_acted_first(
    client_as, alice, sam, make_complaint, org
):
    complaint = make_complaint()
    url = reverse("web:action", args=[complaint.ticket_no, "reject"])
    # sam opened the page, alice dispatched in the meantime, then sam rejects... from a stale page
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    services.complaint_reply(complaint=complaint, by=sam, reply=GOOD_REPLY)
    response = client_as(sam).post(url, {"reject-reason": "重复"}, HTTP_HX_REQUEST="true")
    assert response["X-Action-Status"] in ("409", "400")
    assert "工单当前状态为“反馈”" in response.content.decode()


def test_it_masks_personal_data_until_revealed_and_records_the_look(
    client_as, bob, alice, make_complaint, org
):
    complaint = make_complaint(phone="13812345678", complainant_name="测试客户")
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    client = client_as(bob)
    page = client.get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "测**" in page
    response = client.post(reverse("web:reveal", args=[complaint.ticket_no]))
    assert "13812345678" in response.content.decode()
    assert PersonalDataAccess.objects.filter(complaint=complaint, user=bob).count() == 1


def test_it_shows_the_12305_line_and_the_timeline(client_as, alice, bob, make_complaint, org, now):
    complaint = make_complaint(at=now)  # Monday 2026-11-16 10:00 Shanghai
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    services.complaint_add_note(complaint=complaint, by=alice, text="客户情绪激动", now=now)
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        page = client_as(bob).get(reverse("web:ticket", args=[complaint.ticket_no]))
    page = page.content.decode()
    # 7 days after 11-16 is 11-23 (a Monday): the customer may appeal from 11-24.
    assert "客户可于2026年11月24日起向12305申诉" in page
    # The same words as the regulators' console line (one wrapper of the eligibility rules).
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        tag = Template("{% load appeals %}{% appeal_hint c %}").render(Context({"c": complaint}))
    assert tag in page
    assert "受理 → 核实" in page
    assert "客户情绪激动" in page and "内部，客户不可见" in page


def test_it_walks_a_follow_up_through_the_console(client_as, alice, bob, make_complaint, org, now):
    complaint = make_complaint()
    complaint = bring_to(
        "answered", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    client = client_as(alice)
    url = reverse("web:action", args=[complaint.ticket_no, "follow_up"])
    response = client.post(url, {"follow_up-outcome": "unsatisfied"}, HTTP_HX_REQUEST="true")
    assert "请填写客户意见" in response.content.decode()
    client.post(
        url,
        {"follow_up-outcome": "unsatisfied", "follow_up-customer_words": "赔偿金额太低"},
        HTTP_HX_REQUEST="true",
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING and complaint.repeat_count == 1


def test_it_searches_by_ticket_tracking_and_phone_with_phones_masked(
    client_as, alice, bob, make_complaint, org
):
    mine = make_complaint(tracking_no="JD0000000001", phone="13911112222")
    theirs = make_complaint(tracking_no="JD0000000002", phone="13911112222")
    services.complaint_dispatch(complaint=mine, unit=org["a"], by=alice)
    services.complaint_dispatch(complaint=theirs, unit=org["b"], by=alice)
    client = client_as(bob)
    page = client.post(reverse("web:search"), {"q": "139-1111-2222"}).content.decode()
    assert mine.ticket_no in page and theirs.ticket_no not in page
    assert "139****2222" in page and "13911112222" not in page
    page = client.get(reverse("web:search"), {"q": "jd0000000001"}).content.decode()
    assert mine.ticket_no in page
    response = client.get(reverse("web:search"), {"q": mine.ticket_no})
    assert response.url == reverse("web:ticket", args=[mine.ticket_no])
    page = client.get(reverse("web:search"), {"q": theirs.ticket_no}).content.decode()
    assert "没有找到" in page


def test_it_serves_evidence_only_as_a_download(
    client_as, bob, alice, make_complaint, org, tmp_path, settings
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    complaint = make_complaint()
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    upload = SimpleUploadedFile("破损照片.png", buffer.getvalue(), content_type="text/html")
    client = client_as(bob)
    client.post(
        reverse("web:action", args=[complaint.ticket_no, "evidence"]),
        {"evidence-file": upload},
        HTTP_HX_REQUEST="true",
    )
    attachment = complaint.attachments.get()
    page = client.get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert "破损照片.png" in page
    response = client.get(reverse("web:attachment", args=[complaint.ticket_no, attachment.token]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")


def test_it_renders_the_error_pages_in_chinese(client_as, alice, settings):
    settings.DEBUG = False
    response = client_as(alice).get("/no-such-page/")
    assert response.status_code == 404
    assert "抱歉，您要找的页面或工单不存在" in response.content.decode()


def test_it_speaks_english_after_the_language_switch(client_as, bob):
    client = client_as(bob)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/queue/"})
    assert response.url == "/queue/"
    page = client.get("/queue/").content.decode()
    assert "Branch work queue" in page and "Log out" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/queue/"})
    assert "网点工单队列" in client.get("/queue/").content.decode()


def test_it_locks_out_after_repeated_failed_logins(client, bob):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    response = client.post(reverse("login"), {"username": "bob", "password": "pw-for-tests-only"})
    assert response.status_code == 429  # even the right password waits for the cool-off


def test_it_logs_in_through_the_form_and_lands_on_the_role_home(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert "员工登录" in page
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw-for-tests-only"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:console")
    assert "电话受理投诉" in response.content.decode()


def test_it_works_without_javascript_too(client_as, alice, make_complaint, org):
    complaint = make_complaint()
    response = client_as(alice).post(
        reverse("web:action", args=[complaint.ticket_no, "dispatch"]),
        {"dispatch-unit": org["a"].pk, "dispatch-reason": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<!doctype html>" in page and "已下发至责任单位。" in page
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING


def test_it_has_a_friendly_chinese_500_page():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "抱歉，系统出了点问题" in page
