"""An appeal forwarded by the regulator (issue 18): it puts an ended complaint back into handling,
and the regulator's 30-day reply period runs from the regulator's own receipt (邮政法 art. 65;
邮政业用户申诉处理办法 art. 4), not from the company's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from rest_framework.authtoken.models import Token

from complaints.models import Status
from kernel.clock import WorkCalendar
from regulators.appeal_deadlines import ReminderStage, regulator_reply_due, reminder_stage
from tests.complaints.helpers import bring_to
from tests.regulators.conftest import sh

S = timedelta(seconds=1)


# --- 邮政法 art. 65: 30 days from the regulator's receipt -------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # 民法典 art. 201: the day of receipt does not count; 30th day Thursday 10 Dec.
        pytest.param(date(2026, 11, 10), sh(2026, 12, 11, 0), id="邮政法65-30th-day-thursday"),
        # 30th day Saturday 12 Dec → Monday 14 Dec (民法典 art. 203).
        pytest.param(date(2026, 11, 12), sh(2026, 12, 15, 0), id="民法典203-30th-day-saturday"),
    ],
)
def test_the_regulator_answers_within_30_days_of_its_own_receipt(received, due):
    assert regulator_reply_due(received, calendar=WorkCalendar()) == due


@pytest.mark.parametrize(
    ("at", "stage"),
    [
        pytest.param(sh(2026, 12, 11, 0) - S, ReminderStage.DUE_SOON, id="邮政法65-24:00-minus-1s"),
        pytest.param(sh(2026, 12, 11, 0), ReminderStage.OVERDUE, id="邮政法65-at-24:00"),
        pytest.param(sh(2026, 12, 11, 0) + S, ReminderStage.OVERDUE, id="邮政法65-after"),
    ],
)
def test_the_period_ends_at_24_00_of_its_last_day(at, stage):
    due = regulator_reply_due(date(2026, 11, 10), calendar=WorkCalendar())
    assert reminder_stage(due, now=at, lead=timedelta(days=3)) == stage


def test_registration_records_both_dates(register, now):
    appeal = register(received_at=sh(2026, 11, 16, 9), regulator_received_on=date(2026, 11, 10))

    appeal.refresh_from_db()
    assert appeal.regulator_received_on == date(2026, 11, 10)
    assert appeal.received_at == sh(2026, 11, 16, 9)
    assert appeal.regulator_reply_due == sh(2026, 12, 11, 0)  # not 17 Dec (company's receipt)
    assert appeal.company_report_due == sh(2026, 11, 27, 0)  # 10 days from the company's


def test_the_report_names_both_receipts(register):
    from regulators.report import draft_sections

    appeal = register(received_at=sh(2026, 11, 16, 9), regulator_received_on=date(2026, 11, 10))

    respondent = draft_sections(appeal)["respondent"]
    assert "监管部门于2026年11月10日收到用户申诉" in respondent
    assert "我司于2026年11月16日09:00收到" in respondent


def test_the_company_receipt_defaults_to_now(register, now):
    appeal = register(received_at=None, regulator_received_on=date(2026, 11, 10))

    assert appeal.received_at == now


def test_the_regulator_cannot_receive_after_the_company(register):
    from kernel.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        register(received_at=sh(2026, 11, 16, 9), regulator_received_on=date(2026, 11, 17))
    assert "regulator_received_on" in refused.value.field_errors


# --- An appeal on an ended complaint puts it back into handling -------------------------------


@pytest.mark.parametrize(
    ("state", "back_to"),
    [
        pytest.param("closed", Status.VERIFYING, id="申诉-closed-back-to-verifying"),
        pytest.param("withdrawn", Status.VERIFYING, id="申诉-withdrawn-back-to-verifying"),
        pytest.param("rejected", Status.ACCEPTED, id="申诉-rejected-unassigned-back-to-dispatch"),
    ],
)
def test_an_appeal_puts_an_ended_complaint_back_into_handling(
    make_complaint, register, alice, bob, org, now, state, back_to
):
    complaint = bring_to(
        state, make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    later = now + timedelta(days=10)

    appeal = register(at=later, received_at=later, regulator_received_on=date(2026, 11, 20))

    complaint.refresh_from_db()
    assert appeal.complaint == complaint
    assert complaint.status == back_to
    assert complaint.is_external and complaint.priority == "urgent"
    # A new round on the urgent targets, counted from the appeal (not long breached).
    assert complaint.reopened_at == later
    assert complaint.resolution_due == later + timedelta(hours=12)
    assert complaint.next_deadline > later
    row = complaint.transitions.get(transition="reinstate")
    assert row.from_state == state and row.details["previous_state"] == state
    assert appeal.case_no in row.reason and "原状态" in row.reason
    if state != "closed":  # why it had ended, kept beside the new start
        assert row.details["previous_reason"]


def test_an_appeal_on_an_open_complaint_only_marks_it_external(make_complaint, register):
    complaint = make_complaint()

    register(regulator_received_on=date(2026, 11, 10))

    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED and complaint.is_external
    assert not complaint.transitions.filter(transition="reinstate").exists()


# --- Through the API ---------------------------------------------------------------------------

REGISTRATION = {
    "case_no": "SG2026110009",
    "regulator_received_on": "2026-11-10",
    "province": "GD",
    "appellant_name": "测试客户",
    "appellant_phone": "13800000000",
    "facts": "快件丢失，企业答复后客户不满意。",
    "request": "要求按实际损失赔偿。",
    "tracking_no": "SF1234567890",
    "category": "loss",
    "party": "recipient",
}


@pytest.fixture
def supervisor_api(api, sam):
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sam).key}")
    return api


def test_the_api_reinstates_a_closed_complaint_and_counts_from_the_regulator(
    supervisor_api, make_complaint, alice, bob, org, now
):
    complaint = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )

    with time_machine.travel(now + timedelta(days=1), tick=False):
        response = supervisor_api.post("/api/v1/appeals/", REGISTRATION, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["complaint"]["status"] == "verifying"
    assert body["complaint"]["priority"] == "urgent" and body["complaint"]["is_external"]
    assert body["regulator_received_on"] == "2026-11-10"
    assert body["received_at"] == "2026-11-17T10:00:00+08:00"  # now: the company's receipt
    assert body["regulator_reply_due"] == "2026-12-11T00:00:00+08:00"  # 24:00 of 10 Dec
    complaint.refresh_from_db()
    assert complaint.status == "verifying"


def test_the_api_requires_the_regulators_receipt_date(supervisor_api, now):
    body = {k: v for k, v in REGISTRATION.items() if k != "regulator_received_on"}

    with time_machine.travel(now, tick=False):
        response = supervisor_api.post("/api/v1/appeals/", body, format="json")

    assert response.status_code == 400
    assert "regulator_received_on" in response.json()["error"]["fields"]
