"""The pages: the ruling panel on the ticket, the dispute form, the decision, the evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from rulings.models import Dispute, LedgerEntry, Ruling
from tests.rulings.conftest import photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_supervisor_rules_from_the_panel(client, sam, answered, east):
    complaint = answered()
    client.force_login(sam)
    panel = client.get(f"/rulings/complaints/{complaint.ticket_no}/panel/")
    assert panel.status_code == 200 and 'name="verdict"' in panel.content.decode()
    response = client.post(
        f"/rulings/complaints/{complaint.ticket_no}/record/",
        {
            "verdict": "at_fault",
            "stage": "delivery",
            "unit": east.pk,
            "person": "",
            "no_fault_cause": "",
            "reason": "延误属实。",
            "current_ruling": "",
            "replies": [complaint.replies.get().pk],
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "已记入东区第一营业部考核台账：扣款 ¥50.00，扣分 2.0。" in html
    assert LedgerEntry.objects.count() == 1


def test_a_refused_ruling_shows_its_messages_and_stores_nothing(client, sam, answered):
    complaint = answered()
    client.force_login(sam)
    response = client.post(
        f"/rulings/complaints/{complaint.ticket_no}/record/",
        {"verdict": "at_fault", "reason": "", "current_ruling": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps the panel with its messages
    assert "请选择责任环节。" in html and "请填写判责理由。" in html
    assert not Ruling.objects.exists()


def test_the_panel_shows_the_branch_its_own_charge_only(client, erin, answered, rule_it, hub):
    complaint = answered()
    rule_it(complaint, stage="hub", unit_id=hub.pk)
    client.force_login(erin)
    html = client.get(f"/rulings/complaints/{complaint.ticket_no}/panel/").content.decode()
    assert "华东分拨中心" in html and "¥80.00" not in html and 'name="verdict"' not in html


def test_another_unit_cannot_open_the_panel(client, hank, answered):
    complaint = answered()
    client.force_login(hank)
    assert client.get(f"/rulings/complaints/{complaint.ticket_no}/panel/").status_code == 404


def test_the_dispute_and_the_decision_through_the_pages(
    client, erin, sam, hank, answered, rule_it, now
):
    ruling = rule_it(answered())
    with time_machine.travel(now + timedelta(days=1), tick=False):
        client.force_login(erin)
        form = client.get(f"/rulings/{ruling.pk}/dispute/")
        assert 'capture="environment"' in form.content.decode()
        filed = client.post(
            f"/rulings/{ruling.pk}/dispute/", {"reason": "签收底单为客户本人。", "files": [photo()]}
        )
        dispute = Dispute.objects.get()
        assert filed.status_code == 302 and filed["Location"].startswith(
            f"/rulings/disputes/{dispute.pk}/"
        )
        client.force_login(hank)
        assert client.get(f"/rulings/disputes/{dispute.pk}/").status_code == 404
        client.force_login(sam)
        evidence = dispute.evidence.get()
        download = client.get(f"/rulings/disputes/{dispute.pk}/evidence/{evidence.token}/")
        assert download["Content-Type"] == "image/jpeg"
        assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
        decided = client.post(
            f"/rulings/disputes/{dispute.pk}/", {"outcome": "overturn", "reason": "底单属实。"}
        )
    assert decided.status_code == 200 and "已改判无责，原考核已冲销。" in decided.content.decode()
    assert sum(e.amount for e in LedgerEntry.objects.all()) == 0


def test_a_late_dispute_page_says_when_it_closed(client, erin, answered, rule_it, now):
    ruling = rule_it(answered())
    client.force_login(erin)
    with time_machine.travel(ruling.dispute_until + timedelta(days=1), tick=False):
        html = client.get(f"/rulings/{ruling.pk}/dispute/").content.decode()
        refused = client.post(
            f"/rulings/{ruling.pk}/dispute/", {"reason": "迟到。", "files": [photo()]}
        )
    assert "申诉期已于11月19日 24:00截止" in html
    assert refused.status_code == 409 and not Dispute.objects.exists()


def test_the_board_lists_pending_disputes_for_supervisors(
    client, sam, erin, answered, rule_it, now
):
    from rulings import services as rulings

    ruling = rule_it(answered())
    rulings.dispute_file(
        ruling=ruling, by=erin, reason="不服。", uploads=[photo()], now=now + timedelta(hours=4)
    )
    client.force_login(sam)
    html = client.get("/rulings/").content.decode()
    assert "待裁决的申诉" in html and ruling.complaint.ticket_no in html
