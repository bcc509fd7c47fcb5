"""Every transition of the lifecycle (SPEC §2), allowed and refused, with its audit row."""

from __future__ import annotations

import pytest

from complaints import services
from complaints.models import ComplaintTransition, Status
from kernel.errors import Conflict
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY

STATES = ["accepted", "verifying", "answered", "follow_up", "closed", "rejected", "withdrawn"]


def _act(action, complaint, ctx):
    agent, org, now = ctx["alice"], ctx["org"], ctx["now"]
    match action:
        case "dispatch":
            return services.complaint_dispatch(
                complaint=complaint, unit=org["a"], by=agent, now=now
            )
        case "reassign":
            return services.complaint_reassign(
                complaint=complaint, unit=org["b"], by=agent, reason="派错网点", now=now
            )
        case "reply":
            # The supervisor may reply for any unit, so only the state decides here.
            return services.complaint_reply(
                complaint=complaint, by=ctx["sam"], reply=GOOD_REPLY, now=now
            )
        case "start_follow_up":
            return services.complaint_start_follow_up(complaint=complaint, by=agent, now=now)
        case "close":
            return services.complaint_record_follow_up(
                complaint=complaint, by=agent, outcome="satisfied", now=now
            )
        case "reopen_unsatisfied":
            return services.complaint_record_follow_up(
                complaint=complaint,
                by=agent,
                outcome="unsatisfied",
                customer_words="客户认为答复不属实",
                now=now,
            )
        case "reopen":
            return services.complaint_reopen(
                complaint=complaint, by=agent, reason="客户不满意", now=now
            )
        case "reject":
            return services.complaint_reject(
                complaint=complaint, by=agent, reason="超出范围", now=now
            )
        case "withdraw":
            return services.complaint_withdraw(
                complaint=complaint, by=agent, reason="撤诉", now=now
            )
    raise AssertionError(action)


# (action, states it is allowed from, state it leads to)
LIFECYCLE = [
    ("dispatch", {"accepted"}, "verifying"),
    ("reassign", {"verifying"}, "verifying"),
    ("reply", {"verifying"}, "answered"),
    ("start_follow_up", {"answered"}, "follow_up"),
    # Recording the follow-up from 反馈 starts the call implicitly (one click for the agent).
    ("close", {"answered", "follow_up"}, "closed"),
    ("reopen_unsatisfied", {"answered", "follow_up"}, "verifying"),
    ("reopen", {"follow_up", "closed"}, "verifying"),
    ("reject", {"accepted", "verifying"}, "rejected"),
    ("withdraw", {"accepted", "verifying", "answered", "follow_up"}, "withdrawn"),
]

CASES = [
    pytest.param(action, state, state in allowed, target, id=f"{action}-from-{state}")
    for action, allowed, target in LIFECYCLE
    for state in STATES
]


@pytest.mark.parametrize(("action", "state", "allowed", "target"), CASES)
def test_it_allows_or_refuses_each_transition(
    action, state, allowed, target, make_complaint, alice, bob, sam, org, now
):
    ctx = {"alice": alice, "bob": bob, "sam": sam, "org": org, "now": now}
    complaint = bring_to(
        state, make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    complaint.refresh_from_db()
    before = ComplaintTransition.objects.filter(complaint=complaint).count()
    if allowed:
        _act(action, complaint, ctx)
        complaint.refresh_from_db()
        assert complaint.status == target
        rows = ComplaintTransition.objects.filter(complaint=complaint).order_by("id")
        assert rows.count() > before
        assert rows.last().to_state == target
    else:
        with pytest.raises(Conflict):
            _act(action, complaint, ctx)
        complaint.refresh_from_db()
        assert complaint.status == state
        assert ComplaintTransition.objects.filter(complaint=complaint).count() == before


def test_it_audits_who_when_from_to_and_why(make_complaint, alice, org, now):
    complaint = make_complaint()
    services.complaint_dispatch(
        complaint=complaint, unit=org["a"], by=alice, reason="按地址", now=now
    )
    row = ComplaintTransition.objects.filter(complaint=complaint).order_by("id").last()
    assert (row.actor, row.actor_kind, row.at) == (alice, "staff", now)
    assert (row.transition, row.from_state, row.to_state) == ("dispatch", "accepted", "verifying")
    assert row.reason == "按地址"
    assert row.details["unit"] == "A"


def test_it_counts_a_reopen_as_a_repeat(make_complaint, alice, bob, org, now):
    complaint = bring_to(
        "follow_up", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    complaint = services.complaint_record_follow_up(
        complaint=complaint, by=alice, outcome="unsatisfied", customer_words="赔偿太少", now=now
    )
    assert complaint.status == Status.VERIFYING
    assert complaint.repeat_count == 1
    assert complaint.answered_at is None
    assert complaint.unit == org["a"]  # 重新下发 to the same unit


def test_it_refuses_to_reopen_after_the_window(make_complaint, alice, bob, org, now):
    from datetime import timedelta

    complaint = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with pytest.raises(Conflict, match="超过7天"):
        services.complaint_reopen(
            complaint=complaint, by=alice, reason="不满意", now=now + timedelta(days=8)
        )
    services.complaint_reopen(
        complaint=complaint, by=alice, reason="不满意", now=now + timedelta(days=6)
    )


def test_it_refuses_a_transition_on_a_stale_copy(make_complaint, alice, org, now):
    complaint = make_complaint()
    stale = type(complaint).objects.get(pk=complaint.pk)
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    with pytest.raises(Conflict, match="已被他人处理"):
        services.complaint_reject(complaint=stale, by=alice, reason="重复", now=now)


def test_it_merges_a_duplicate_as_a_rejection(make_complaint, alice, now):
    kept = make_complaint()
    duplicate = make_complaint(phone="13900000000", tracking_no="SF999")
    services.complaint_reject(
        complaint=duplicate, by=alice, reason="同一事项重复提交", merged_into=kept, now=now
    )
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REJECTED
    assert duplicate.merged_into == kept


def test_it_pauses_and_resumes_the_resolution_clock(make_complaint, alice, bob, org, now):
    from datetime import timedelta

    complaint = make_complaint()
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    due = complaint.resolution_due
    complaint = services.complaint_pause(
        complaint=complaint, by=bob, reason="等待客户提供照片", now=now + timedelta(hours=1)
    )
    assert complaint.is_paused
    with pytest.raises(Conflict):
        services.complaint_pause(complaint=complaint, by=bob, reason="再次", now=now)
    complaint = services.complaint_resume(complaint=complaint, by=bob, now=now + timedelta(hours=6))
    assert not complaint.is_paused
    assert complaint.resolution_due == due + timedelta(hours=5)
    assert complaint.pauses.get().ended_at == now + timedelta(hours=6)
    actions = list(complaint.transitions.values_list("transition", flat=True))
    assert actions[-2:] == ["pause", "resume"]


@pytest.mark.parametrize(
    ("state", "allowed"),
    [(state, state in ("accepted", "verifying")) for state in STATES],
)
def test_it_pauses_only_before_the_reply(state, allowed, make_complaint, alice, bob, org, now):
    complaint = bring_to(
        state, make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    if allowed:
        complaint = services.complaint_pause(
            complaint=complaint, by=alice, reason="等材料", now=now
        )
        assert complaint.is_paused
        assert complaint.next_deadline != complaint.resolution_due
    else:
        with pytest.raises(Conflict, match="不能暂停计时"):
            services.complaint_pause(complaint=complaint, by=alice, reason="等材料", now=now)


@pytest.mark.parametrize("state", ["closed", "rejected", "withdrawn"])
def test_it_refuses_contacts_on_finished_complaints(state, make_complaint, alice, bob, org, now):
    complaint = bring_to(
        state, make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with pytest.raises(Conflict):
        services.complaint_log_contact(
            complaint=complaint, by=alice, method="phone", summary="回电", now=now
        )
    assert complaint.contacts.count() == 0
