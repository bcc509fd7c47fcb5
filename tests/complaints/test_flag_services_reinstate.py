"""complaint_reinstate_for_appeal called directly: an appeal brings an ended complaint back.

Each way a complaint can have ended (闭环, 不予受理, 撤诉; at a unit or before dispatch) is one
row: the state it comes back to, what is reset, and its audit row in full. An open complaint
is only marked external. The clock is stopped at CLOCK; GIVEN is passed as `now=`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import ActorKind, Complaint
from kernel.errors import InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import NOW
from tests.unchanged import nothing_changed

CLOCK = NOW + timedelta(hours=5)
GIVEN = NOW + timedelta(hours=1, minutes=7)
ENDED = NOW + timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(CLOCK, tick=False)


def _closed(complaint, people, org):
    complaint = bring_to(
        "follow_up",
        complaint,
        agent=people["alice"],
        branch_user=people["bob"],
        unit=org["a"],
        now=NOW,
    )
    return services.complaint_record_follow_up(
        complaint=complaint,
        by=people["alice"],
        outcome="satisfied",
        customer_words="客户表示满意",
        now=ENDED,
    )


def _dispatched(complaint, people, org):
    return services.complaint_dispatch(
        complaint=complaint, unit=org["a"], by=people["alice"], now=NOW
    )


def _rejected_at_unit(complaint, people, org):
    complaint = _dispatched(complaint, people, org)
    return services.complaint_reject(
        complaint=complaint, by=people["alice"], reason="超出受理范围", now=ENDED
    )


def _merged(complaint, people, org, *, into):
    return services.complaint_reject(
        complaint=complaint, by=people["alice"], reason="重复投诉", merged_into=into, now=ENDED
    )


def _withdrawn_at_unit(complaint, people, org):
    complaint = _dispatched(complaint, people, org)
    return services.complaint_withdraw(
        complaint=complaint, by=people["alice"], reason="客户撤诉", now=ENDED
    )


def _withdrawn_before_dispatch(complaint, people, org):
    return services.complaint_withdraw(
        complaint=complaint, by=people["alice"], reason="客户撤诉", now=ENDED
    )


# how it ended, the state it had, the state it comes back to, the reason it had ended with
ENDINGS = [
    ("closed", _closed, "closed", "verifying", "客户表示满意", "闭环"),
    ("rejected at a unit", _rejected_at_unit, "rejected", "verifying", "超出受理范围", "不予受理"),
    ("merged before dispatch", _merged, "rejected", "accepted", "重复投诉", "不予受理"),
    ("withdrawn at a unit", _withdrawn_at_unit, "withdrawn", "verifying", "客户撤诉", "撤诉"),
    (
        "withdrawn before dispatch",
        _withdrawn_before_dispatch,
        "withdrawn",
        "accepted",
        "客户撤诉",
        "撤诉",
    ),
]


@pytest.fixture
def people(alice, bob, carol, nobody, sam):
    return {"alice": alice, "bob": bob, "carol": carol, "nobody": nobody, "sam": sam}


@pytest.fixture
def ended(make_complaint, people, org):
    def make(end, **overrides):
        complaint = make_complaint(**overrides)
        if end is _merged:
            kept = make_complaint(phone="13900000001")
            return end(complaint, people, org, into=kept), kept
        return end(complaint, people, org), None

    return make


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
@pytest.mark.parametrize(
    ("how", "end", "was", "back_to", "ended_reason", "was_label"),
    ENDINGS,
    ids=[row[0] for row in ENDINGS],
)
def test_an_ended_complaint_is_handled_again(
    ended, sam, how, end, was, back_to, ended_reason, was_label, explicit
):
    at, when = (GIVEN, {"now": GIVEN}) if explicit else (CLOCK, {})
    complaint, kept = ended(end)
    complaint.refresh_from_db()
    assert complaint.status == was
    unit_id = complaint.unit_id
    end_at = complaint.closed_at or complaint.ended_at
    assert end_at == ENDED

    result = services.complaint_reinstate_for_appeal(
        complaint=complaint, by=sam, reason=" 12305申诉 ", **when
    )

    complaint.refresh_from_db()
    assert result.status == complaint.status == back_to
    assert complaint.unit_id == unit_id
    assert complaint.reopened_at == at
    assert (complaint.answered_at, complaint.closed_at, complaint.ended_at) == (None, None, None)
    assert complaint.paused_seconds == 0
    assert complaint.is_external is True
    assert complaint.priority == "urgent" and complaint.urgent_reasons == ["外部投诉"]
    assert complaint.urgent_since == at
    rows = list(complaint.transitions.filter(transition="reinstate"))
    assert len(rows) == 1
    row = rows[0]
    assert (row.at, row.actor, row.actor_kind, row.from_state, row.to_state, row.reason) == (
        at,
        sam,
        ActorKind.STAFF,
        was,
        back_to,
        f"12305申诉（原状态：{was_label}）",
    )
    assert row.details == {
        "previous_state": was,
        "previous_reason": ended_reason,
        "merged_into": kept.ticket_no if kept else None,
        "previous_end": ENDED.isoformat(),
    }
    assert not complaint.transitions.filter(transition="mark_external").exists()


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_an_open_complaint_is_only_marked_external(make_complaint, people, org, explicit):
    at, when = (GIVEN, {"now": GIVEN}) if explicit else (CLOCK, {})
    complaint = _dispatched(make_complaint(), people, org)

    result = services.complaint_reinstate_for_appeal(
        complaint=complaint, by=people["sam"], reason=" 12305申诉 ", **when
    )

    complaint.refresh_from_db()
    assert result.status == complaint.status == "verifying"
    assert complaint.is_external and complaint.urgent_since == at
    assert complaint.reopened_at is None
    assert not complaint.transitions.filter(transition="reinstate").exists()
    row = complaint.transitions.get(transition="mark_external")
    assert (row.at, row.actor, row.from_state, row.to_state, row.reason, row.details) == (
        at,
        people["sam"],
        "verifying",
        "verifying",
        "12305申诉",
        {},
    )


def test_a_complaint_reopened_meanwhile_is_only_marked_external(make_complaint, people, org):
    """The caller read it 闭环; the customer reopened it before the appeal was registered."""
    complaint = _closed(make_complaint(), people, org)
    complaint.refresh_from_db()
    services.complaint_reopen(
        complaint=Complaint.objects.get(pk=complaint.pk),
        by=people["alice"],
        reason="客户不满意",
        now=ENDED + timedelta(minutes=5),
    )
    assert complaint.status == "closed"  # the caller's copy

    services.complaint_reinstate_for_appeal(
        complaint=complaint, by=people["sam"], reason="12305申诉", now=GIVEN
    )

    complaint.refresh_from_db()
    assert complaint.status == "verifying" and complaint.is_external
    assert not complaint.transitions.filter(transition="reinstate").exists()
    row = complaint.transitions.get(transition="mark_external")
    assert (row.at, row.actor, row.reason) == (GIVEN, people["sam"], "12305申诉")


@pytest.mark.parametrize("state", ["open", "closed"])
@pytest.mark.parametrize(
    ("who", "reason", "kind", "message", "field"),
    [
        ("sam", "  ", InvalidInput, "请填写外部投诉来源。", "reason"),
        ("nobody", "12305", NotAllowed, "您不是系统内的员工，不能处理投诉。", None),
        ("carol", "12305", NotFound, "工单不存在。", None),
        ("bob", "12305", NotAllowed, "您没有权限执行此操作。", None),
        (None, "12305", NotAllowed, "请先登录。", None),
    ],
)
def test_reinstate_refusals(make_complaint, people, org, state, who, reason, kind, message, field):
    complaint = make_complaint()
    complaint = (
        _closed(complaint, people, org)
        if state == "closed"
        else _dispatched(complaint, people, org)
    )
    complaint.refresh_from_db()
    with nothing_changed(), pytest.raises(kind) as refusal:
        services.complaint_reinstate_for_appeal(
            complaint=complaint, by=people.get(who), reason=reason, now=GIVEN
        )
    assert type(refusal.value) is kind
    assert refusal.value.message == message
    assert refusal.value.field_errors == ({field: message} if field else {})
