"""The print view of one complaint (issue 20 §5): content, masking, the audit, constant queries.

A complaint closed after a reply, a follow-up and an approved ¥60 claim (the claim comes through
complaints.hooks.print_sections, filled by compensation), with an internal note and evidence.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compensation import services as claim_services
from complaints import attachments, services
from complaints.models import PersonalDataAccess
from kernel import privacy
from kernel.clock import deadline_text
from tests import evidence_files
from tests.compensation.conftest import loss_facts
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY
from tests.unchanged import nothing_changed

NOTE = "内部备注：客户曾三次来电催促"
WORDS = "已收到赔款，满意"


@pytest.fixture
def closed(settings, tmp_path, make_complaint, alice, bob, sam, org, now):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    complaint = make_complaint(category="loss", service="postal_registered", freight="20.00")
    complaint = bring_to(
        "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    attachments.attachment_add(
        complaint=complaint,
        by="customer",
        upload=SimpleUploadedFile("外箱照片.png", evidence_files.image("PNG")),
        now=now,
    )
    claim = claim_services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(), now=now)
    claim_services.claim_approve(claim=claim, by=sam, note="同意", now=now + timedelta(minutes=5))
    services.complaint_add_note(complaint=complaint, by=alice, text=NOTE, now=now)
    later = now + timedelta(hours=2)
    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY, now=later)
    complaint.refresh_from_db()
    complaint = services.complaint_start_follow_up(complaint=complaint, by=alice, now=later)
    services.complaint_record_follow_up(
        complaint=complaint,
        by=alice,
        outcome="satisfied",
        customer_words=WORDS,
        reply_truthful=True,
        now=later + timedelta(minutes=1),
    )
    complaint.refresh_from_db()
    return complaint


def _print(client, complaint, **params):
    return client.get(reverse("web:print", args=[complaint.ticket_no]), params)


def test_it_prints_the_facts_deadlines_timeline_reply_follow_up_claim_and_evidence(
    client_as, bob, closed
):
    response = _print(client_as(bob), closed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "@page" not in page  # the A4 rules live in print.css
    assert "console/print.css" in page and "app-nav" not in page  # no navigation
    assert closed.ticket_no in page and closed.get_status_display() in page
    for part in ("基本情况", "处理经过", "处理结果"):
        assert part in page
    for text in (GOOD_REPLY.basic_facts, GOOD_REPLY.handling, GOOD_REPLY.result):
        assert text in page
    for due in (closed.first_response_due, closed.resolution_due, closed.statutory_due):
        if due:
            assert deadline_text(due) in page
    assert "24:00" in page  # the 7-day statutory answer ends a day (民法典 art. 203)
    assert WORDS in page and "满意" in page
    assert "赔偿处理" in page and "¥60.00" in page and "已批准" in page
    assert "外箱照片.png" in page
    assert NOTE in page  # internal records are in the branch's paper file by default


def test_the_regulators_copy_leaves_the_internal_records_out(client_as, alice, closed):
    page = _print(client_as(alice), closed, internal="0").content.decode()
    assert NOTE not in page
    assert GOOD_REPLY.result in page


def test_personal_data_is_masked_and_the_reveal_is_the_audited_one(client_as, alice, closed):
    page = _print(client_as(alice), closed).content.decode()
    assert closed.phone not in page and closed.complainant_name not in page
    assert privacy.mask_phone(closed.phone) in page
    assert privacy.mask_name(closed.complainant_name) in page
    assert f'hx-post="{reverse("web:reveal", args=[closed.ticket_no])}"' in page


def test_printing_is_recorded_who_what_when(client_as, bob, sam, closed):
    _print(client_as(bob), closed)
    _print(client_as(sam), closed, internal="0")
    rows = PersonalDataAccess.objects.filter(complaint=closed).order_by("at", "id")
    assert [(row.user, row.purpose) for row in rows] == [(bob, "打印"), (sam, "打印")]
    assert all(row.at for row in rows)


def test_the_ticket_page_has_a_print_button(client_as, bob, closed):
    page = client_as(bob).get(reverse("web:ticket", args=[closed.ticket_no])).content.decode()
    assert f'href="{reverse("web:print", args=[closed.ticket_no])}"' in page
    assert "打印" in page


def test_queries_do_not_grow_with_the_record(client_as, alice, bob, closed, now):
    client = client_as(alice)
    _print(client, closed)  # warm the per-process reference data
    with CaptureQueriesContext(connection) as first:
        assert _print(client, closed).status_code == 200
    later = now + timedelta(hours=3)
    closed = services.complaint_reopen(complaint=closed, by=alice, reason="客户仍不满意", now=later)
    for i in range(4):
        services.complaint_add_note(complaint=closed, by=alice, text=f"备注{i}", now=later)
        services.complaint_log_contact(
            complaint=closed, by=alice, method="phone", summary=f"联系{i}", now=later
        )
    for i in range(3):
        attachments.attachment_add(
            complaint=closed,
            by=bob,
            upload=SimpleUploadedFile(f"补充{i}.png", evidence_files.image("PNG")),
        )
    with CaptureQueriesContext(connection) as second:
        assert _print(client, closed).status_code == 200
    assert len(second) == len(first), [q["sql"][:120] for q in second.captured_queries]
    assert len(first) <= 16


def test_another_unit_a_partner_and_strangers_may_not_print(client_as, carol, pat, closed):
    url = reverse("web:print", args=[closed.ticket_no])
    for client, status in ((client_as(carol), 404), (client_as(pat), 403), (Client(), 302)):
        with nothing_changed():
            response = client.get(url)
        assert response.status_code == status
    assert not PersonalDataAccess.objects.exists()


def test_the_pdf_is_a4_masked_in_chinese_and_recorded(client_as, bob, closed):
    import io

    from pypdf import PdfReader

    response = client_as(bob).get(reverse("web:print_pdf", args=[closed.ticket_no]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{closed.ticket_no}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # Kept beside the browser tests' screenshots, to be looked at.
    out = Path(django_settings.BASE_DIR) / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    (out / "print-weasyprint.pdf").write_bytes(response.content)
    pdf = PdfReader(io.BytesIO(response.content))
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in pdf.pages} == {(595, 842)}
    text = "".join(page.extract_text() for page in pdf.pages)
    assert closed.ticket_no in text
    for words in ("处理记录", "基本情况", "赔偿处理", "外箱照片.png", "24:00", WORDS):
        assert words in text, words
    assert closed.phone not in text and closed.complainant_name not in text
    assert "显示完整信息" not in text and "下载PDF" not in text  # no buttons on paper
    assert PersonalDataAccess.objects.get(complaint=closed).purpose == "打印PDF"


def test_another_unit_and_a_partner_get_no_pdf(client_as, carol, pat, closed):
    url = reverse("web:print_pdf", args=[closed.ticket_no])
    for client, status in ((client_as(carol), 404), (client_as(pat), 403), (Client(), 302)):
        with nothing_changed():
            assert client.get(url).status_code == status


def test_the_pdf_maker_fetches_nothing(tmp_path, caplog):
    """No file and no address is read while a PDF is made: the stylesheet is inlined."""
    from complaints.web.printing import render_pdf

    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    html = (
        f'<link rel=stylesheet href="file://{secret}"><p>投诉</p>'
        '<img src="file:///etc/hostname"><img src="http://169.254.169.254/latest/meta-data/">'
    )
    with caplog.at_level("WARNING", logger="weasyprint"):
        assert render_pdf(html).startswith(b"%PDF-")
    refused = [r.getMessage() for r in caplog.records if "not fetched" in r.getMessage()]
    assert len(refused) == 3, [r.getMessage() for r in caplog.records]
