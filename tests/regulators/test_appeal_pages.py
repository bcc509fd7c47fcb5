"""The supervisors' appeal pages: the list with its deadline colours and the registration form,
which registers through the API's service (same checks, same audit trail)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from regulators.models import Appeal

pytestmark = pytest.mark.django_db

NEW = reverse("regulators:appeal_new")
FORM = {
    "case_no": "SG2026110099",
    "received_at": "2026-11-16T09:30",
    "regulator_received_on": "2026-11-14",
    "province": "GD",
    "ticket_no": "",
    "tracking_no": "SF1234567890",
    "appellant_name": "测试客户",
    "appellant_phone": "138 0000 0000",
    "facts": "快件超时未送达，向企业投诉7日未获处理。",
    "request": "要求尽快投递并赔偿运费。",
    "category": "delay",
    "party": "recipient",
    "report_days": "",
}


def _jpeg(name="转办单.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def page(client, sam):
    client.force_login(sam)
    return client


def test_it_registers_an_appeal_from_the_form(page, sam, make_complaint, now, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    complaint = make_complaint(tracking_no="SF1234567890")
    form = {**FORM, "ticket_no": complaint.ticket_no, "documents": [_jpeg(), _jpeg("附件2.jpg")]}
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        response = page.post(NEW, form, follow=True)
    assert response.redirect_chain == [(reverse("regulators:appeals"), 302)]
    appeal = Appeal.objects.get(case_no="SG2026110099")
    assert appeal.complaint == complaint and appeal.province == "GD"
    assert appeal.appellant_phone == "13800000000"  # normalised by the service
    assert [(e.action, e.actor) for e in appeal.events.all()] == [("register", sam)]
    complaint.refresh_from_db()
    assert complaint.is_external and complaint.priority == "urgent"
    # The regulator's documents are the complaint's evidence, each upload audited.
    names = sorted(a.original_name for a in complaint.attachments.all())
    assert names == sorted(["转办单.jpg", "附件2.jpg"])
    assert complaint.transitions.filter(transition="evidence").count() == 2
    html = response.content.decode()
    assert f"已登记申诉 SG2026110099，关联工单 {complaint.ticket_no}；企业报告时限" in html
    assert 'data-appeal="SG2026110099"' in html


def test_it_answers_with_the_services_messages_by_their_fields(page, now):
    form = {**FORM, "appellant_phone": "12345", "case_no": "不合格"}
    with time_machine.travel(now, tick=False):
        response = page.post(NEW, form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "登记的申诉信息有误，请修改后重试。" in html
    assert "请填写正确的申诉人手机号或带区号的固定电话。" in html
    assert "申诉案件编号只能包含字母、数字和 - _ /" in html
    assert 'id="id_appellant_phone"' in html and "is-invalid" in html
    assert not Appeal.objects.exists()


def test_it_refuses_a_case_number_registered_before(page, register, now):
    register(case_no="SG2026110099")
    with time_machine.travel(now, tick=False):
        response = page.post(NEW, FORM)
    assert response.status_code == 409
    assert "该申诉案件编号已登记。" in response.content.decode()
    assert Appeal.objects.count() == 1


def test_it_refuses_a_document_that_is_no_image_or_pdf_and_stores_nothing(
    page, now, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    bad = SimpleUploadedFile("转办单.pdf", b"<script>alert(1)</script>")
    with time_machine.travel(now, tick=False):
        response = page.post(NEW, {**FORM, "documents": [_jpeg(), bad]})
    assert response.status_code == 400
    assert "转办单.pdf：只接受JPEG、PNG、WebP图片或PDF文件。" in response.content.decode()
    assert not Appeal.objects.exists()
    assert list(tmp_path.rglob("*.*")) == []


def test_it_prefills_the_complaint_and_the_receipt_time(page):
    html = page.get(NEW, {"ticket_no": "TS20261116000001"}).content.decode()
    assert 'name="ticket_no" value="TS20261116000001"' in html
    assert 'type="datetime-local" name="received_at" value="' in html
    assert 'accept="image/jpeg,image/png,image/webp,application/pdf"' in html
    assert re.search(r'<input type="file" name="documents"[^>]* multiple', html)


def test_it_colours_the_list_by_the_companys_next_deadline(page, register, now):
    def received(days_ago):
        return {"received_at": now - timedelta(days=days_ago), "at": now - timedelta(days=days_ago)}

    overdue = register(case_no="SG-OVERDUE", **received(20))
    soon = register(case_no="SG-SOON", tracking_no="SF0000000001", **received(9))
    fresh = register(case_no="SG-FRESH", tracking_no="SF0000000002", **received(0))
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        html = page.get(reverse("regulators:appeals")).content.decode()
    rows = {a.case_no: f'data-appeal="{a.case_no}"' for a in (overdue, soon, fresh)}
    assert f'queue-row level-breached" {rows["SG-OVERDUE"]}' in html
    assert f'queue-row level-warning" {rows["SG-SOON"]}' in html
    assert f'queue-row level-ok" {rows["SG-FRESH"]}' in html
    assert html.index("SG-OVERDUE") < html.index("SG-SOON") < html.index("SG-FRESH")
    assert 'href="/regulators/appeals/new/"' in html
