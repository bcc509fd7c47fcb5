"""The loop's services called directly: each refusal word for word, each write read back.

complaint_reject, complaint_withdraw, complaint_reassign and complaint_reply (SPEC §2,
complaints/services/transitions.py). A refusal names its exception, its whole Chinese message
and its field, and leaves every table as it was; a success is read back from the database —
every field the service writes and the whole audit row — with an explicit `now` that differs
from the (frozen) clock, and without one, where the clock is what is stored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from complaints import services
from complaints.models import Complaint, ComplaintTransition, PauseInterval, Reply
from kernel.actors import CUSTOMER
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY, NOW
from tests.unchanged import nothing_changed

CLOCK = NOW + timedelta(hours=5)  # the frozen clock of every test here
LATER = NOW + timedelta(days=1, hours=3)  # an explicit `now`, not the clock
PAUSED_AT = NOW + timedelta(hours=1)

NOT_STAFF = "您不是系统内的员工，不能处理投诉。"
NO_RIGHT = "您没有权限执行此操作。"
NOT_FOUND = "工单不存在。"
NOT_FOR_CUSTOMER = "客户不能执行此操作。"


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(CLOCK, tick=False)


@pytest.fixture
def ctx(make_complaint, alice, bob, carol, sam, nobody, org, now):
    """People, units and a way to bring a fresh complaint to a state."""

    def at(state, **overrides):
        complaint = bring_to(
            state, make_complaint(**overrides), agent=alice, branch_user=bob, unit=org["a"], now=now
        )
        return Complaint.objects.get(pk=complaint.pk)

    people = {"alice": alice, "bob": bob, "carol": carol, "sam": sam, "nobody": nobody}
    return {**people, "customer": CUSTOMER, "org": org, "at": at}


def _other(ctx, state):
    """A second complaint (other customer, other waybill) in `state`."""
    return ctx["at"](state, phone="13900000001", tracking_no="SF999000111")


def _refused(call, exc_type, message, field_errors):
    with nothing_changed(), pytest.raises(exc_type) as raised:
        call()
    error = raised.value
    assert type(error) is exc_type
    assert (str(error), error.message, error.field_errors) == (message, message, field_errors)


def _rows(complaint):
    return [
        {
            "actor": row.actor_id,
            "kind": row.actor_kind,
            "at": row.at,
            "transition": row.transition,
            "from": row.from_state,
            "to": row.to_state,
            "reason": row.reason,
            "details": row.details,
        }
        for row in ComplaintTransition.objects.filter(complaint=complaint).order_by("id")
    ]


def _pause(complaint, ctx):
    return services.complaint_pause(
        complaint=complaint, by=ctx["alice"], reason="等待客户提供照片", now=PAUSED_AT
    )


# --- 不予受理 -------------------------------------------------------------------------------

# (id, who, state, arguments besides complaint/by/now, exception, message, field errors)
REJECT_REFUSALS = [
    ("blank-reason", "alice", "accepted", {"reason": " \n "}, InvalidInput,
     "请填写不予受理原因。", {"reason": "请填写不予受理原因。"}),
    ("merged-into-itself", "alice", "accepted", {"merged_into": "self"}, InvalidInput,
     "不能合并到自身。", {"merged_into": "不能合并到自身。"}),
    ("merged-into-a-rejected-one", "alice", "accepted", {"merged_into": "rejected"},
     InvalidInput, "只能合并到有效工单。", {"merged_into": "只能合并到有效工单。"}),
    ("merged-into-a-withdrawn-one", "alice", "verifying", {"merged_into": "withdrawn"},
     InvalidInput, "只能合并到有效工单。", {"merged_into": "只能合并到有效工单。"}),
    ("another-units-clerk", "carol", "accepted", {}, NotFound, NOT_FOUND, {}),
    ("another-units-clerk-blank-reason", "carol", "verifying", {"reason": ""}, NotFound,
     NOT_FOUND, {}),
    ("own-units-clerk", "bob", "verifying", {}, NotAllowed, NO_RIGHT, {}),
    ("not-staff", "nobody", "accepted", {"reason": ""}, NotAllowed, NOT_STAFF, {}),
    ("customer", "customer", "accepted", {}, NotAllowed, NOT_FOR_CUSTOMER, {}),
    ("after-the-reply", "alice", "answered", {}, Conflict,
     "工单当前状态为“反馈”，不能不予受理。", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "extra", "exc_type", "message", "field_errors"),
    [pytest.param(*row[1:], id=row[0]) for row in REJECT_REFUSALS],
)
def test_reject_refuses(ctx, who, state, extra, exc_type, message, field_errors):
    complaint = ctx["at"](state)
    kwargs = {"reason": "超出受理范围", **extra}
    if extra.get("merged_into") == "self":
        kwargs["merged_into"] = complaint
    elif "merged_into" in extra:
        kwargs["merged_into"] = _other(ctx, extra["merged_into"])
    _refused(
        lambda: services.complaint_reject(complaint=complaint, by=ctx[who], now=LATER, **kwargs),
        exc_type,
        message,
        field_errors,
    )


def test_reject_refuses_a_stale_copy(ctx):
    stale = ctx["at"]("accepted")
    services.complaint_dispatch(complaint=stale, unit=ctx["org"]["a"], by=ctx["alice"], now=NOW)
    _refused(
        lambda: services.complaint_reject(
            complaint=stale,
            by=ctx["alice"],
            reason="重复",
            now=LATER,
        ),
        Conflict,
        "工单已被他人处理，当前状态为“核实”，请刷新后再操作。",
        {},
    )


@pytest.mark.parametrize(
    ("state", "paused", "merged", "now", "when"),
    [
        pytest.param("accepted", False, False, LATER, LATER, id="accepted-given-now"),
        pytest.param("verifying", True, True, LATER, LATER, id="paused-merged-given-now"),
        pytest.param("accepted", True, True, None, CLOCK, id="paused-merged-clock"),
    ],
)
def test_reject_writes_the_end_the_merge_and_the_audit_row(ctx, state, paused, merged, now, when):
    complaint = ctx["at"](state)
    if paused:
        complaint = _pause(complaint, ctx)
    kept = _other(ctx, "verifying") if merged else None
    before = len(_rows(complaint))
    services.complaint_reject(
        complaint=complaint,
        by=ctx["alice"],
        reason="  同一事项重复提交 \n",
        merged_into=kept,
        now=now,
    )
    complaint.refresh_from_db()
    assert complaint.status == "rejected"
    assert complaint.merged_into_id == (kept.pk if kept else None)
    assert complaint.ended_at == when
    assert complaint.paused_at is None
    assert complaint.paused_seconds == (int((when - PAUSED_AT).total_seconds()) if paused else 0)
    assert list(PauseInterval.objects.filter(complaint=complaint).values_list("ended_at")) == (
        [(when,)] if paused else []
    )
    assert _rows(complaint)[before:] == [
        {
            "actor": ctx["alice"].pk,
            "kind": "staff",
            "at": when,
            "transition": "reject",
            "from": state,
            "to": "rejected",
            "reason": "同一事项重复提交",
            "details": {"merged_into": kept.ticket_no if kept else None},
        }
    ]


# --- 撤诉 ----------------------------------------------------------------------------------

WITHDRAW_REFUSALS = [
    ("blank-reason", "alice", "verifying", " ", InvalidInput, "请填写撤诉原因。",
     {"reason": "请填写撤诉原因。"}),
    ("customer-blank-reason", "customer", "accepted", "", InvalidInput, "请填写撤诉原因。",
     {"reason": "请填写撤诉原因。"}),
    ("another-units-clerk", "carol", "verifying", "客户撤诉", NotFound, NOT_FOUND, {}),
    ("another-units-clerk-blank-reason", "carol", "accepted", "", NotFound, NOT_FOUND, {}),
    ("not-staff", "nobody", "accepted", "", NotAllowed, NOT_STAFF, {}),
    ("closed", "alice", "closed", "客户撤诉", Conflict, "工单当前状态为“闭环”，不能撤诉。", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "reason", "exc_type", "message", "field_errors"),
    [pytest.param(*row[1:], id=row[0]) for row in WITHDRAW_REFUSALS],
)
def test_withdraw_refuses(ctx, who, state, reason, exc_type, message, field_errors):
    complaint = ctx["at"](state)
    _refused(
        lambda: services.complaint_withdraw(
            complaint=complaint, by=ctx[who], reason=reason, now=LATER
        ),
        exc_type,
        message,
        field_errors,
    )


@pytest.mark.parametrize(
    ("who", "state", "paused", "now", "when"),
    [
        pytest.param("customer", "accepted", False, LATER, LATER, id="customer-given-now"),
        pytest.param("alice", "verifying", True, LATER, LATER, id="agent-paused-given-now"),
        pytest.param("customer", "verifying", True, None, CLOCK, id="customer-paused-clock"),
        pytest.param("alice", "answered", False, None, CLOCK, id="agent-answered-clock"),
    ],
)
def test_withdraw_writes_the_end_and_the_audit_row(ctx, who, state, paused, now, when):
    complaint = ctx["at"](state)
    if paused:
        complaint = _pause(complaint, ctx)
    before = len(_rows(complaint))
    services.complaint_withdraw(complaint=complaint, by=ctx[who], reason=" 已自行解决 ", now=now)
    complaint.refresh_from_db()
    assert complaint.status == "withdrawn"
    assert complaint.ended_at == when
    assert complaint.paused_at is None
    assert complaint.paused_seconds == (int((when - PAUSED_AT).total_seconds()) if paused else 0)
    assert list(PauseInterval.objects.filter(complaint=complaint).values_list("ended_at")) == (
        [(when,)] if paused else []
    )
    by = ctx[who]
    assert _rows(complaint)[before:] == [
        {
            "actor": None if by == CUSTOMER else by.pk,
            "kind": "customer" if by == CUSTOMER else "staff",
            "at": when,
            "transition": "withdraw",
            "from": state,
            "to": "withdrawn",
            "reason": "已自行解决",
            "details": {},
        }
    ]


# --- 改派 ----------------------------------------------------------------------------------

ONE_UNIT = "请选择有效的责任单位。"
REASSIGN_REFUSALS = [
    ("blank-reason", "alice", "verifying", "b", "  ", InvalidInput, "请填写改派原因。",
     {"reason": "请填写改派原因。"}),
    ("same-unit", "alice", "verifying", "a", "派错网点", InvalidInput, "工单已在该单位。",
     {"unit": "请选择另一个单位。"}),
    ("no-unit", "alice", "verifying", None, "派错网点", InvalidInput, ONE_UNIT,
     {"unit": ONE_UNIT}),
    ("inactive-unit", "alice", "verifying", "inactive", "派错网点", InvalidInput, ONE_UNIT,
     {"unit": ONE_UNIT}),
    ("another-units-clerk", "carol", "verifying", "b", "派错网点", NotFound, NOT_FOUND, {}),
    ("another-units-clerk-blank-reason", "carol", "verifying", "b", "", NotFound, NOT_FOUND,
     {}),
    ("own-units-clerk", "bob", "verifying", "b", "派错网点", NotAllowed, NO_RIGHT, {}),
    ("not-staff", "nobody", "verifying", "b", "", NotAllowed, NOT_STAFF, {}),
    ("customer", "customer", "verifying", "b", "派错网点", NotAllowed, NOT_FOR_CUSTOMER, {}),
    ("before-dispatch", "alice", "accepted", "b", "派错网点", Conflict,
     "工单当前状态为“受理”，不能改派。", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "unit", "reason", "exc_type", "message", "field_errors"),
    [pytest.param(*row[1:], id=row[0]) for row in REASSIGN_REFUSALS],
)
def test_reassign_refuses(ctx, who, state, unit, reason, exc_type, message, field_errors):
    complaint = ctx["at"](state)
    org = ctx["org"]
    if unit == "inactive":
        org["b"].is_active = False
        org["b"].save()
        unit = "b"
    target = org[unit] if unit else None
    _refused(
        lambda: services.complaint_reassign(
            complaint=complaint, unit=target, by=ctx[who], reason=reason, now=LATER
        ),
        exc_type,
        message,
        field_errors,
    )


def test_reassign_to_an_auto_assigning_unit_writes_both_audit_rows(ctx):
    org, carol = ctx["org"], ctx["carol"]
    carol.first_name, carol.last_name = "丙", "张"
    carol.save()
    org["b"].auto_assign, org["b"].assign_cap = True, 7
    org["b"].save()
    complaint = ctx["at"]("verifying")
    services.complaint_take(complaint=complaint, by=ctx["bob"], now=NOW)
    complaint.refresh_from_db()
    before = len(_rows(complaint))
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=ctx["sam"], reason=" 派错网点 ", now=LATER
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.unit_id, complaint.handler_id) == (
        "verifying",
        org["b"].pk,
        carol.pk,
    )
    assert complaint.dispatched_at == LATER
    assert _rows(complaint)[before:] == [
        {
            "actor": ctx["sam"].pk,
            "kind": "staff",
            "at": LATER,
            "transition": "reassign",
            "from": "verifying",
            "to": "verifying",
            "reason": "派错网点",
            "details": {"unit": "B", "previous": "A", "previous_handler": ctx["bob"].pk},
        },
        {
            "actor": None,
            "kind": "system",
            "at": LATER,
            "transition": "auto_assign",
            "from": "verifying",
            "to": "verifying",
            "reason": "",
            "details": {"handler": carol.pk, "handler_name": "丙 张", "load": 0, "cap": 7},
        },
    ]


def test_reassign_on_the_clock_to_a_manual_unit(ctx):
    complaint = ctx["at"]("verifying")
    before = len(_rows(complaint))
    services.complaint_reassign(
        complaint=complaint, unit=ctx["org"]["b"], by=ctx["alice"], reason="派错网点"
    )
    complaint.refresh_from_db()
    assert (complaint.unit_id, complaint.handler_id) == (ctx["org"]["b"].pk, None)
    assert complaint.dispatched_at == CLOCK
    assert _rows(complaint)[before:] == [
        {
            "actor": ctx["alice"].pk,
            "kind": "staff",
            "at": CLOCK,
            "transition": "reassign",
            "from": "verifying",
            "to": "verifying",
            "reason": "派错网点",
            "details": {"unit": "B", "previous": "A", "previous_handler": None},
        }
    ]


# --- 反馈 (the unit's reply) -------------------------------------------------------------------

VAGUE = replace(GOOD_REPLY, handling="已处理")


@pytest.mark.parametrize(
    ("who", "reply", "exc_type", "message"),
    [
        pytest.param(
            "bob", VAGUE, InvalidInput, "答复不符合回复要素要求，请补充后再提交。", id="vague"
        ),
        pytest.param("carol", GOOD_REPLY, NotFound, NOT_FOUND, id="another-units-clerk"),
        pytest.param("carol", VAGUE, NotFound, NOT_FOUND, id="another-units-clerk-vague"),
        pytest.param("nobody", VAGUE, NotAllowed, NOT_STAFF, id="not-staff"),
        pytest.param("customer", GOOD_REPLY, NotAllowed, NOT_FOR_CUSTOMER, id="customer"),
    ],
)
def test_reply_refuses(ctx, who, reply, exc_type, message):
    complaint = ctx["at"]("verifying")
    with nothing_changed(), pytest.raises(exc_type) as raised:
        services.complaint_reply(complaint=complaint, by=ctx[who], reply=reply, now=LATER)
    assert type(raised.value) is exc_type
    assert (str(raised.value), raised.value.message) == (message, message)
    if exc_type is InvalidInput:
        assert set(raised.value.field_errors) == {"handling"}
    else:
        assert raised.value.field_errors == {}


@pytest.mark.parametrize(
    ("paused", "now", "when"),
    [
        pytest.param(True, LATER, LATER, id="paused-given-now"),
        pytest.param(False, None, CLOCK, id="clock"),
    ],
)
def test_reply_stores_every_part_and_the_audit_row(ctx, paused, now, when):
    complaint = ctx["at"]("verifying")
    if paused:
        complaint = _pause(complaint, ctx)
    reply = replace(
        GOOD_REPLY,
        basic_facts=f"  {GOOD_REPLY.basic_facts}\n",
        handling=f"\t{GOOD_REPLY.handling} ",
        result=f" {GOOD_REPLY.result}  ",
        customer_accepts=False,
        facts_confirmed=True,
        our_fault=False,  # true but not our fault, nothing obstructed: not 有理由
    )
    before = len(_rows(complaint))
    saved = services.complaint_reply(complaint=complaint, by=ctx["bob"], reply=reply, now=now)
    row = Reply.objects.get(pk=saved.pk)
    assert (row.complaint_id, row.unit_id, row.by_id, row.at) == (
        complaint.pk,
        ctx["org"]["a"].pk,
        ctx["bob"].pk,
        when,
    )
    assert (row.basic_facts, row.handling, row.result) == (
        GOOD_REPLY.basic_facts,
        GOOD_REPLY.handling,
        GOOD_REPLY.result,
    )
    assert (row.customer_accepts, row.facts_confirmed, row.our_fault) == (False, True, False)
    complaint.refresh_from_db()
    assert complaint.status == "answered"
    assert (complaint.answered_at, complaint.first_answered_at, complaint.first_response_at) == (
        when,
        when,
        when,
    )
    assert complaint.justified is False
    assert complaint.paused_at is None
    assert complaint.paused_seconds == (int((when - PAUSED_AT).total_seconds()) if paused else 0)
    assert list(PauseInterval.objects.filter(complaint=complaint).values_list("ended_at")) == (
        [(when,)] if paused else []
    )
    assert _rows(complaint)[before:] == [
        {
            "actor": ctx["bob"].pk,
            "kind": "staff",
            "at": when,
            "transition": "reply",
            "from": "verifying",
            "to": "answered",
            "reason": "",
            "details": {"reply_id": saved.pk, "justified": False},
        }
    ]


@pytest.mark.parametrize(
    ("accepts", "confirmed", "fault", "justified"),
    [(None, True, True, True), (True, False, True, False), (True, True, False, False)],
)
def test_reply_decides_the_first_view_of_justified(ctx, accepts, confirmed, fault, justified):
    complaint = ctx["at"]("verifying")
    reply = replace(
        GOOD_REPLY, customer_accepts=accepts, facts_confirmed=confirmed, our_fault=fault
    )
    saved = services.complaint_reply(complaint=complaint, by=ctx["bob"], reply=reply, now=LATER)
    row = Reply.objects.get(pk=saved.pk)
    assert (row.customer_accepts, row.facts_confirmed, row.our_fault) == (accepts, confirmed, fault)
    complaint.refresh_from_db()
    assert complaint.justified is justified
    assert ComplaintTransition.objects.get(complaint=complaint, transition="reply").details == {
        "reply_id": saved.pk,
        "justified": justified,
    }


def test_a_later_reply_keeps_the_first_answer_times(ctx):
    complaint = ctx["at"]("follow_up")
    first = complaint.first_answered_at
    assert first == NOW
    complaint = services.complaint_reopen(
        complaint=complaint, by=ctx["alice"], reason="客户不满意", now=NOW + timedelta(hours=2)
    )
    services.complaint_reply(complaint=complaint, by=ctx["bob"], reply=GOOD_REPLY, now=LATER)
    complaint.refresh_from_db()
    assert (complaint.answered_at, complaint.first_answered_at, complaint.first_response_at) == (
        LATER,
        NOW,
        NOW,
    )


# --- 下发 (dispatch) and the automatic assignment it runs ---------------------------------------

DISPATCH_REFUSALS = [
    ("no-unit", "alice", "accepted", None, InvalidInput, ONE_UNIT, {"unit": ONE_UNIT}),
    ("inactive-unit", "alice", "accepted", "inactive", InvalidInput, ONE_UNIT,
     {"unit": ONE_UNIT}),
    ("another-units-clerk", "carol", "accepted", "a", NotFound, NOT_FOUND, {}),
    ("not-staff", "nobody", "accepted", None, NotAllowed, NOT_STAFF, {}),
    ("customer", "customer", "accepted", "a", NotAllowed, NOT_FOR_CUSTOMER, {}),
    ("twice", "alice", "verifying", "b", Conflict, "工单当前状态为“核实”，不能下发。", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "unit", "exc_type", "message", "field_errors"),
    [pytest.param(*row[1:], id=row[0]) for row in DISPATCH_REFUSALS],
)
def test_dispatch_refuses(ctx, who, state, unit, exc_type, message, field_errors):
    complaint = ctx["at"](state)
    org = ctx["org"]
    if unit == "inactive":
        org["b"].is_active = False
        org["b"].save()
        unit = "b"
    target = org[unit] if unit else None
    _refused(
        lambda: services.complaint_dispatch(
            complaint=complaint, unit=target, by=ctx[who], now=LATER
        ),
        exc_type,
        message,
        field_errors,
    )


def test_dispatch_to_an_auto_assigning_unit_until_its_cap(ctx):
    org, bob = ctx["org"], ctx["bob"]
    org["a"].auto_assign, org["a"].assign_cap = True, 1
    org["a"].save()
    first, second = ctx["at"]("accepted"), _other(ctx, "accepted")
    for complaint, now in ((first, LATER), (second, None)):
        services.complaint_dispatch(complaint=complaint, unit=org["a"], by=ctx["alice"], now=now)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.unit_id, first.handler_id, first.dispatched_at) == (org["a"].pk, bob.pk, LATER)
    assert (second.unit_id, second.handler_id, second.dispatched_at) == (org["a"].pk, None, CLOCK)
    dispatch = {
        "actor": ctx["alice"].pk,
        "kind": "staff",
        "transition": "dispatch",
        "from": "accepted",
        "to": "verifying",
        "reason": "",
        "details": {"unit": "A"},
    }
    system = {"actor": None, "kind": "system", "from": "verifying", "to": "verifying", "reason": ""}
    assert _rows(first)[-2:] == [
        {**dispatch, "at": LATER},
        {
            **system,
            "at": LATER,
            "transition": "auto_assign",
            "details": {"handler": bob.pk, "handler_name": "bob", "load": 0, "cap": 1},
        },
    ]
    assert _rows(second)[-2:] == [
        {**dispatch, "at": CLOCK},
        {**system, "at": CLOCK, "transition": "auto_assign_none",
         "details": {"why": "all_at_cap", "cap": 1, "head": None}},
    ]  # fmt: skip


def test_dispatch_with_nobody_on_duty_names_the_head(ctx):
    org, bob = ctx["org"], ctx["bob"]
    org["a"].auto_assign, org["a"].head = True, bob
    org["a"].save()
    services.staff_set_on_duty(person=bob, on_duty=False, by=bob)
    complaint = ctx["at"]("accepted")
    services.complaint_dispatch(
        complaint=complaint, unit=org["a"], by=ctx["alice"], reason="按地址", now=LATER
    )
    complaint.refresh_from_db()
    assert complaint.handler_id is None
    assert _rows(complaint)[-2:] == [
        {"actor": ctx["alice"].pk, "kind": "staff", "at": LATER, "transition": "dispatch",
         "from": "accepted", "to": "verifying", "reason": "按地址", "details": {"unit": "A"}},
        {"actor": None, "kind": "system", "at": LATER, "transition": "auto_assign_none",
         "from": "verifying", "to": "verifying", "reason": "",
         "details": {"why": "nobody_on_duty", "cap": 30, "head": bob.pk}},
    ]  # fmt: skip
