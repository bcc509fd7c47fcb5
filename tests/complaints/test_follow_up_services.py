"""The follow-up services as a specification: 回访, 闭环, 重新下发, the customer's rating.

Each test calls the service directly (complaints/services/follow_up.py) on the real database and
reads back every field it writes, the audit row it leaves (actor, transition, states, reason,
details) and, for a refusal, the exact error and that nothing changed. Times are passed as an
explicit `now` unlike the real clock, so a service that took the clock instead is caught.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from complaints import services
from complaints.models import Complaint, ComplaintTransition, FollowUp, Status, Unit
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import audit, bring_to
from tests.unchanged import nothing_changed

CUSTOMER = services.CUSTOMER
LATER = timedelta(hours=5, minutes=7)  # 15:07 in Shanghai on the test day (NOW is 10:00)
CLOSED_AFTER = timedelta(minutes=1)  # bring_to("closed") closes one minute after `now`
WINDOW = timedelta(days=7)  # REOPEN_WINDOW_DAYS, its last instant included


@pytest.fixture
def loop(make_complaint, alice, bob, org, now):
    """A complaint of unit A brought to `state` through the real services."""

    def to(state, **overrides):
        complaint = make_complaint(**overrides)
        return bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)

    return to


def refused(exc_info):
    """The refusal as the caller sees it: kind, message, the fields it names."""
    exc = exc_info.value
    return type(exc), str(exc), exc.message, exc.field_errors


# --- 反馈 → 回访 ---------------------------------------------------------------------------


def test_start_follow_up_moves_to_follow_up_and_audits_the_agent(loop, alice, now):
    complaint = loop("answered")
    at = now + LATER
    services.complaint_start_follow_up(complaint=complaint, by=alice, now=at)
    complaint.refresh_from_db()
    assert complaint.status == Status.FOLLOW_UP
    assert audit(complaint, "start_follow_up") == (
        alice,
        "staff",
        at,
        "start_follow_up",
        "answered",
        "follow_up",
        "",
        {},
    )


def test_start_follow_up_answers_another_units_clerk_not_found(loop, carol, now):
    complaint = loop("answered")
    with nothing_changed(), pytest.raises(NotFound) as exc_info:
        services.complaint_start_follow_up(complaint=complaint, by=carol, now=now)
    assert refused(exc_info) == (NotFound, "工单不存在。", "工单不存在。", {})


# --- the follow-up call: 闭环 or 重新下发 ------------------------------------------------


def test_a_satisfied_call_closes_with_the_call_recorded(loop, alice, now):
    complaint = loop("follow_up")
    at = now + LATER
    # No customer_words: the satisfied customer need say nothing; nothing is stored for it.
    services.complaint_record_follow_up(
        complaint=complaint, by=alice, outcome="satisfied", reply_truthful=True, now=at
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfied) == (Status.CLOSED, True)
    assert (complaint.closed_at, complaint.follow_up_at) == (at, at)
    call = FollowUp.objects.get(complaint=complaint)
    assert (call.by, call.at, call.outcome, call.customer_words, call.reply_truthful) == (
        alice,
        at,
        "satisfied",
        "",
        True,
    )
    assert audit(complaint, "close") == (
        alice,
        "staff",
        at,
        "close",
        "follow_up",
        "closed",
        "",
        {"outcome": "satisfied"},
    )


def test_a_call_not_made_closes_with_its_reason_and_leaves_satisfaction_open(loop, alice, now):
    complaint = loop("follow_up")
    at = now + LATER
    services.complaint_record_follow_up(
        complaint=complaint,
        by=alice,
        outcome="not_called",
        customer_words="  客户电话停机，三次未接通  ",
        now=at,
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfied) == (Status.CLOSED, None)
    assert (complaint.closed_at, complaint.follow_up_at) == (at, at)
    call = FollowUp.objects.get(complaint=complaint)
    assert (call.outcome, call.customer_words, call.reply_truthful) == (
        "not_called",
        "客户电话停机，三次未接通",
        None,
    )
    assert audit(complaint, "close") == (
        alice,
        "staff",
        at,
        "close",
        "follow_up",
        "closed",
        "客户电话停机，三次未接通",
        {"outcome": "not_called"},
    )


def test_an_unsatisfied_call_sends_it_back_to_the_unit(make_complaint, loop, alice, org, now):
    make_complaint()  # an earlier complaint on the same waybill: this one is a repeat (count 1)
    complaint = loop("follow_up")
    assert complaint.repeat_count == 1
    at = now + LATER
    services.complaint_record_follow_up(
        complaint=complaint,
        by=alice,
        outcome="unsatisfied",
        customer_words="赔偿太少",
        reply_truthful=False,
        now=at,
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.unit, complaint.satisfied) == (
        Status.VERIFYING,
        org["a"],
        False,
    )
    assert (complaint.repeat_count, complaint.reopened_at, complaint.follow_up_at) == (2, at, at)
    assert (complaint.answered_at, complaint.closed_at, complaint.paused_seconds) == (None, None, 0)
    call = FollowUp.objects.get(complaint=complaint)
    assert (call.outcome, call.customer_words, call.reply_truthful) == (
        "unsatisfied",
        "赔偿太少",
        False,
    )
    assert audit(complaint, "reopen") == (
        alice,
        "staff",
        at,
        "reopen",
        "follow_up",
        "verifying",
        "赔偿太少",
        {"repeat_count": 2},
    )


def test_a_call_on_an_answered_complaint_starts_the_follow_up_first(loop, alice, now):
    complaint = loop("answered")
    at = now + LATER
    services.complaint_record_follow_up(complaint=complaint, by=alice, outcome="satisfied", now=at)
    rows = list(
        ComplaintTransition.objects.filter(complaint=complaint, at=at)
        .order_by("id")
        .values_list("actor", "transition", "from_state", "to_state")
    )
    assert rows == [
        (alice.pk, "start_follow_up", "answered", "follow_up"),
        (alice.pk, "close", "follow_up", "closed"),
    ]


@pytest.mark.parametrize(
    ("who", "state", "outcome", "words", "error", "message", "fields"),
    [
        (
            "alice",
            "follow_up",
            "happy",
            "",
            InvalidInput,
            "回访结果无效。",
            {"outcome": "回访结果无效。"},
        ),
        (
            "alice",
            "follow_up",
            "unsatisfied",
            "   ",
            InvalidInput,
            "请填写客户意见。",
            {"customer_words": "请填写客户意见。"},
        ),
        (
            "alice",
            "follow_up",
            "not_called",
            "",
            InvalidInput,
            "请填写不回访原因。",
            {"customer_words": "请填写不回访原因。"},
        ),
        ("alice", "verifying", "satisfied", "", Conflict, "工单当前状态为“核实”，不能回访。", {}),
        ("alice", "closed", "satisfied", "", Conflict, "工单当前状态为“闭环”，不能回访。", {}),
        ("carol", "follow_up", "satisfied", "", NotFound, "工单不存在。", {}),
        ("bob", "follow_up", "satisfied", "", NotAllowed, "您没有权限执行此操作。", {}),
    ],
    ids=[
        "unknown-outcome",
        "unsatisfied-without-words",
        "not-called-without-reason",
        "not-yet-answered",
        "already-closed",
        "other-units-clerk",
        "clerk-without-the-right",
    ],
)
def test_the_follow_up_call_is_refused(
    who, state, outcome, words, error, message, fields, loop, request, now
):
    complaint = loop(state)
    by = request.getfixturevalue(who)
    with nothing_changed(), pytest.raises(error) as exc_info:
        services.complaint_record_follow_up(
            complaint=complaint, by=by, outcome=outcome, customer_words=words, now=now + LATER
        )
    assert refused(exc_info) == (error, message, message, fields)


# --- reopening (staff) ----------------------------------------------------------------------


def test_staff_reopen_within_the_window_its_last_instant_included(loop, alice, now):
    complaint = loop("closed")
    # Time paused before closing is forgotten by the reopen: the new round starts at zero.
    Complaint.objects.filter(pk=complaint.pk).update(paused_seconds=3600)
    complaint.refresh_from_db()
    at = now + CLOSED_AFTER + WINDOW
    services.complaint_reopen(complaint=complaint, by=alice, reason="  客户仍不满意  ", now=at)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.repeat_count, complaint.reopened_at) == (
        Status.VERIFYING,
        1,
        at,
    )
    assert (complaint.answered_at, complaint.closed_at, complaint.paused_seconds) == (None, None, 0)
    assert audit(complaint, "reopen") == (
        alice,
        "staff",
        at,
        "reopen",
        "closed",
        "verifying",
        "客户仍不满意",
        {"repeat_count": 1},
    )


def test_the_customer_reopens_through_their_own_service_not_the_staff_action(loop, now):
    # The staff action names no customer action: the customer's path is
    # complaint_reopen_by_customer (the API's /reopen/ sends customers there).
    complaint = loop("follow_up")
    with nothing_changed(), pytest.raises(NotAllowed) as refused:
        services.complaint_reopen(
            complaint=complaint, by=CUSTOMER, reason="没有收到赔偿", now=now + LATER
        )
    assert refused.value.message == "客户不能执行此操作。"


@pytest.mark.parametrize(
    ("who", "reason", "after_closing", "error", "message", "fields"),
    [
        (
            "alice",
            "不满意",
            WINDOW + timedelta(seconds=1),
            Conflict,
            "工单闭环已超过7天，不能重新打开，请新建投诉（系统将自动关联）。",
            {},
        ),
        (
            "alice",
            "  ",
            timedelta(days=1),
            InvalidInput,
            "请填写重新下发原因。",
            {"reason": "请填写重新下发原因。"},
        ),
        ("carol", "不满意", timedelta(days=1), NotFound, "工单不存在。", {}),
    ],
    ids=["after-the-window", "no-reason", "other-units-clerk"],
)
def test_staff_reopen_is_refused(
    who, reason, after_closing, error, message, fields, loop, request, now
):
    complaint = loop("closed")
    by = request.getfixturevalue(who)
    with nothing_changed(), pytest.raises(error) as exc_info:
        services.complaint_reopen(
            complaint=complaint, by=by, reason=reason, now=now + CLOSED_AFTER + after_closing
        )
    assert refused(exc_info) == (error, message, message, fields)


# --- the customer's "not satisfied" ------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "after", "from_state"),
    [
        ("follow_up", LATER, "follow_up"),
        ("closed", CLOSED_AFTER + WINDOW, "closed"),  # the window's last instant
    ],
)
def test_the_customers_not_satisfied_reopens_the_complaint(state, after, from_state, loop, now):
    complaint = loop(state)
    at = now + after
    outcome = services.complaint_reopen_by_customer(
        complaint=complaint, reason="  快件仍未找到  ", now=at
    )
    assert (outcome.complaint.pk, outcome.access_code, outcome.refiled) == (
        complaint.pk,
        None,
        False,
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfied, complaint.repeat_count) == (
        Status.VERIFYING,
        False,
        1,
    )
    assert complaint.reopened_at == at
    assert audit(complaint, "reopen") == (
        None,
        "customer",
        at,
        "reopen",
        from_state,
        "verifying",
        "快件仍未找到",
        {"repeat_count": 1},
    )


@pytest.mark.parametrize(
    ("state", "reason", "error", "message", "fields"),
    [
        (
            "answered",
            "不满意",
            Conflict,
            "工单当前状态为“反馈”，回访或闭环后才能提出不满意。",
            {},
        ),
        (
            "follow_up",
            " ",
            InvalidInput,
            "请填写不满意的原因。",
            {"reason": "请填写不满意的原因。"},
        ),
    ],
    ids=["not-yet-followed-up", "no-reason"],
)
def test_the_customers_not_satisfied_is_refused(state, reason, error, message, fields, loop, now):
    complaint = loop(state)
    with nothing_changed(), pytest.raises(error) as exc_info:
        services.complaint_reopen_by_customer(complaint=complaint, reason=reason, now=now + LATER)
    assert refused(exc_info) == (error, message, message, fields)


OLD_DETAILS = {
    "demand": "compensation",
    "demand_detail": "赔偿运费并重新寄送",
    "service": "postal_registered",
    "insured": True,
    "insured_amount": Decimal("500.00"),
    "declared_value": Decimal("800.00"),
    "freight": Decimal("23.50"),
    "key_account": True,
    "urgent_contents": True,
}


def test_not_satisfied_after_the_window_files_a_new_linked_complaint(loop, org, now):
    old = loop("closed", **OLD_DETAILS)
    at = now + CLOSED_AFTER + WINDOW + timedelta(seconds=1)
    outcome = services.complaint_reopen_by_customer(complaint=old, reason="  又丢件了  ", now=at)
    new = Complaint.objects.get(pk=outcome.complaint.pk)
    assert new.pk != old.pk
    assert outcome.refiled
    assert len(outcome.access_code) == 10
    copied = (
        "tracking_no",
        "complainant_name",
        "phone",
        "party",
        "category",
        *OLD_DETAILS,
    )
    assert {f: getattr(new, f) for f in copied} == {f: getattr(old, f) for f in copied}
    assert {f: getattr(new, f) for f in OLD_DETAILS} == OLD_DETAILS
    assert new.description == f"对已闭环工单{old.ticket_no}的处理结果不满意：又丢件了"
    assert (new.channel, new.unit, new.accepted_at) == ("api", org["a"], at)
    assert (new.repeat_of, new.repeat_count) == (old, 1)
    old_status = old.status
    old.refresh_from_db()
    assert old.status == old_status == Status.CLOSED
    assert audit(old, "refile") == (
        None,
        "customer",
        at,
        "refile",
        "closed",
        "closed",
        "又丢件了",
        {"new_ticket": new.ticket_no},
    )


def test_a_refiled_complaint_long_after_counts_on_and_skips_a_closed_unit(loop, org, now):
    # Past the repeat window (30 days) intake finds no earlier complaint: the link and the
    # count come from the refiling alone. The old unit was closed down meanwhile: no unit.
    old = loop("closed")
    Complaint.objects.filter(pk=old.pk).update(repeat_count=2)
    Unit.objects.filter(pk=org["a"].pk).update(is_active=False)
    at = now + timedelta(days=40)
    outcome = services.complaint_reopen_by_customer(complaint=old, reason="仍未赔偿", now=at)
    new = Complaint.objects.get(pk=outcome.complaint.pk)
    assert (new.unit, new.repeat_of, new.repeat_count, new.accepted_at) == (None, old, 3, at)


# --- the customer's rating ------------------------------------------------------------------


def test_a_rating_in_the_follow_up_is_stored_and_audited(loop, now):
    complaint = loop("follow_up")
    first, second = now + LATER, now + LATER + timedelta(hours=1)
    services.complaint_rate(
        complaint=complaint, by=CUSTOMER, score=4, comment=" 答复及时 ", now=first
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rating, complaint.rated_at) == (
        Status.FOLLOW_UP,
        4,
        first,
    )
    assert audit(complaint, "rate") == (
        None,
        "customer",
        first,
        "rate",
        "follow_up",
        "follow_up",
        "答复及时",
        {"score": 4, "previous": None},
    )
    # Changed within the follow-up (no comment this time): the earlier score is remembered.
    services.complaint_rate(complaint=complaint, by=CUSTOMER, score=5, now=second)
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rated_at, complaint.repeat_count) == (5, second, 0)
    assert audit(complaint, "rate") == (
        None,
        "customer",
        second,
        "rate",
        "follow_up",
        "follow_up",
        "",
        {"score": 5, "previous": 4},
    )


def test_a_rating_without_now_takes_the_clock(loop, now):
    complaint = loop("follow_up")
    clock = now + timedelta(days=2, hours=3)
    with time_machine.travel(clock, tick=False):
        services.complaint_rate(complaint=complaint, by=CUSTOMER, score=3)
    complaint.refresh_from_db()
    assert complaint.rated_at == clock
    assert audit(complaint, "rate")[2] == clock


def test_a_rating_comment_is_cut_at_1000_characters(loop, now):
    complaint = loop("follow_up")
    comment = "好" * 999 + "差" + "多余"
    services.complaint_rate(complaint=complaint, by=CUSTOMER, score=3, comment=comment, now=now)
    assert audit(complaint, "rate")[6] == "好" * 999 + "差"


@pytest.mark.parametrize(
    ("score", "comment", "reason"),
    [
        (2, "", "客户评价不满意（2分）"),
        (1, "", "客户评价不满意（1分）"),
        (2, "  还是没收到  ", "还是没收到"),
    ],
)
def test_a_low_rating_in_the_follow_up_sends_it_back(score, comment, reason, loop, now):
    complaint = loop("follow_up")
    at = now + LATER
    services.complaint_rate(complaint=complaint, by=CUSTOMER, score=score, comment=comment, now=at)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfied, complaint.rating, complaint.repeat_count) == (
        Status.VERIFYING,
        False,
        score,
        1,
    )
    assert audit(complaint, "reopen") == (
        None,
        "customer",
        at,
        "reopen",
        "follow_up",
        "verifying",
        reason,
        {"repeat_count": 1},
    )


def test_a_rating_after_closing_reopens_only_within_the_window(loop, now):
    within = loop("closed")
    services.complaint_rate(complaint=within, by=CUSTOMER, score=5, now=now + CLOSED_AFTER + WINDOW)
    within.refresh_from_db()
    assert (within.status, within.rating, within.satisfied) == (Status.CLOSED, 5, True)
    # Past the window a first rating is still taken, but a low one reopens nothing.
    late = loop("closed", tracking_no="SF5550001111", phone="13900000001")
    at = now + CLOSED_AFTER + WINDOW + timedelta(seconds=1)
    services.complaint_rate(complaint=late, by=CUSTOMER, score=1, now=at)
    late.refresh_from_db()
    assert (late.status, late.rating, late.rated_at, late.repeat_count) == (
        Status.CLOSED,
        1,
        at,
        0,
    )


def test_a_rating_given_stands_after_the_window(loop, now):
    complaint = loop("closed")
    services.complaint_rate(complaint=complaint, by=CUSTOMER, score=4, now=now + LATER)
    with nothing_changed(), pytest.raises(Conflict) as exc_info:
        services.complaint_rate(
            complaint=complaint,
            by=CUSTOMER,
            score=5,
            now=now + CLOSED_AFTER + WINDOW + timedelta(seconds=1),
        )
    message = "您已于2026年11月16日 15:07评价，闭环超过7天后不能再修改评价。"
    assert refused(exc_info) == (Conflict, message, message, {})


def test_a_rating_without_its_time_stands_after_the_window(loop, now):
    # A rating stored without rated_at (data from before the field existed) stands too.
    complaint = loop("closed")
    Complaint.objects.filter(pk=complaint.pk).update(rating=3, rated_at=None)
    with nothing_changed(), pytest.raises(Conflict) as exc_info:
        services.complaint_rate(
            complaint=complaint, by=CUSTOMER, score=5, now=now + timedelta(days=30)
        )
    message = "您已于评价，闭环超过7天后不能再修改评价。"
    assert refused(exc_info) == (Conflict, message, message, {})


@pytest.mark.parametrize("score", [0, 6, True, "3", 2.5, None])
def test_a_rating_outside_1_to_5_is_refused(score, loop, now):
    complaint = loop("follow_up")
    with nothing_changed(), pytest.raises(InvalidInput) as exc_info:
        services.complaint_rate(complaint=complaint, by=CUSTOMER, score=score, now=now)
    message = "评分必须是1到5的整数。"
    assert refused(exc_info) == (InvalidInput, message, message, {"score": message})


@pytest.mark.parametrize(
    ("who", "state", "error", "message"),
    [
        ("alice", "follow_up", NotAllowed, "满意度评价只能由客户本人提交。"),
        ("sam", "closed", NotAllowed, "满意度评价只能由客户本人提交。"),
        (None, "verifying", Conflict, "工单当前状态为“核实”，答复并进入回访后才能评价。"),
        (None, "answered", Conflict, "工单当前状态为“反馈”，答复并进入回访后才能评价。"),
    ],
    ids=["agent", "supervisor", "not-yet-answered", "answered-not-followed-up"],
)
def test_a_rating_is_refused(who, state, error, message, loop, request, now):
    complaint = loop(state)
    by = request.getfixturevalue(who) if who else CUSTOMER
    with nothing_changed(), pytest.raises(error) as exc_info:
        services.complaint_rate(complaint=complaint, by=by, score=5, now=now + LATER)
    assert refused(exc_info) == (error, message, message, {})
