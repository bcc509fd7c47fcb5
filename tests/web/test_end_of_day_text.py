"""One way to write the end of a day (issue 18): a deadline that ends a day is the instant 24:00 of
that day (民法典 art. 203) and every text a person reads writes it "12月9日 24:00" — pages, SMS and
e-mail texts; the API returns the same instant in its one documented form (docs/api.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from kernel.clock import deadline_text
from tests.regulators.conftest import sh

END_OF_9_DEC = sh(2026, 12, 10, 0)  # stored as 00:00 of the next day
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("due", "text"),
    [
        pytest.param(END_OF_9_DEC - S, "12月9日 23:59", id="民法典203-a-second-before"),
        pytest.param(END_OF_9_DEC, "12月9日 24:00", id="民法典203-the-end-of-the-day"),
        pytest.param(END_OF_9_DEC + S, "12月10日 00:00", id="民法典203-a-second-after"),
        pytest.param(datetime(2026, 12, 9, 16, 0, tzinfo=UTC), "12月9日 24:00", id="utc-16:00"),
        pytest.param(
            datetime(2026, 12, 9, 8, 0, tzinfo=UTC), "12月9日 16:00", id="utc-is-shown-+8"
        ),
    ],
)
def test_a_deadline_that_ends_a_day_is_written_24_00(due, text):
    assert deadline_text(due) == text


@pytest.mark.parametrize(
    "template",
    [
        "messages/staff_warning.txt",
        "messages/staff_breach.txt",
        "messages/staff_statutory_risk.txt",
        "messages/staff_escalation.txt",
        "messages/staff_appeal_due_soon.txt",
        "messages/staff_appeal_overdue.txt",
        "messages/staff_claim_warning.txt",
        "messages/staff_claim_breach.txt",
    ],
)
def test_every_message_writes_the_end_of_a_day_as_24_00(template):
    context = {"ticket_no": "TS20261201000001", "case_no": "SG1", "due_at": END_OF_9_DEC}

    text = render_to_string(template, context)

    assert "12月9日 24:00" in text and "12月10日 00:00" not in text


def test_the_customers_sms_writes_it_too(make_complaint):
    complaint = make_complaint()
    complaint.first_response_due = END_OF_9_DEC

    text = render_to_string(
        "messages/customer_accepted.txt", {"ticket_no": "T", "complaint": complaint}
    )

    assert "12月9日 24:00前" in text


def test_the_appeal_registration_page_says_24_00(client, sam, make_complaint, now):
    make_complaint(tracking_no="SF1234567890")
    client.force_login(sam)
    form = {
        "case_no": "SG2026110099",
        "regulator_received_on": "2026-11-14",
        "received_at": "2026-11-16T09:30",
        "province": "GD",
        "tracking_no": "SF1234567890",
        "appellant_name": "测试客户",
        "appellant_phone": "13800000000",
        "facts": "快件超时未送达，向企业投诉7日未获处理。",
        "request": "要求尽快投递并赔偿运费。",
        "category": "delay",
        "party": "recipient",
    }
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        response = client.post(reverse("regulators:appeal_new"), form, follow=True)
    page = response.content.decode()
    # 10 days from 16 Nov: 24:00 of Thursday 26 Nov, never "11月27日 00:00".
    assert "11月26日 24:00" in page and "11月27日 00:00" not in page


def test_the_api_returns_the_instant_as_documented(make_complaint, alice):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    complaint = make_complaint()  # accepted Monday 16 Nov: 7 days end 24:00 of Monday 23 Nov
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")

    body = client.get(f"/api/v1/complaints/{complaint.ticket_no}/").json()

    assert body["statutory_due"] == "2026-11-24T00:00:00+08:00"
    assert '"statutory_due": "2026-11-24T00:00:00+08:00"' in _api_docs()


def _api_docs() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()


def test_a_reply_templates_deadline_placeholders_write_24_00(make_complaint):
    # Issue 18 §13: the text a template puts into a reply (then an SMS) writes the end of a day
    # the same way as the pages.
    from playbook.services import complaint_values

    complaint = make_complaint()
    complaint.resolution_due = END_OF_9_DEC
    complaint.follow_up_due = END_OF_9_DEC + timedelta(hours=10, minutes=30)

    values = complaint_values(complaint)

    assert values["处理时限"] == "12月9日 24:00"
    assert values["回访时限"] == "12月10日 10:30"
