"""The 处理人 services called directly (issue 20 §2): refusals word for word, writes read back.

complaints/services/assignment.py: taking, assigning, the unit's staff and their loads, the
on-duty and automatic-assignment switches. A refusal names its exception, its whole Chinese
message and its field, and leaves every table as it was; a success is read back from the
database with its whole audit row, at an explicit `now` that differs from the (frozen) clock
and, without one, at the clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Role, StaffProfile, Unit
from complaints.services.assignment import is_unit_head, may_take
from kernel.actors import CUSTOMER
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY, NOW, _user
from tests.unchanged import nothing_changed

CLOCK = NOW + timedelta(hours=5)  # the frozen clock of every test here
LATER = NOW + timedelta(days=1, hours=3)  # an explicit `now`, not the clock

NOT_FOUND = "工单不存在。"
LOG_IN = "请先登录。"
NOT_STAFF = "您不是系统内的员工，不能处理投诉。"
NOT_FOR_CUSTOMER = "客户不能执行此操作。"
ONLY_BRANCH = "只有本单位的网点人员可以接单。"
ONLY_ASSIGNERS = "只有单位负责人、客服坐席或质量监控主管可以指派处理人。"
MOVED = "工单已被他人改派至其他单位，请刷新后再操作。"
NOT_UNIT_STAFF = "处理人须为本单位在职的网点人员。"
BAD_CAP = "每人在办上限须为1至999之间的整数。"


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(CLOCK, tick=False)


@pytest.fixture
def ctx(make_complaint, alice, bob, carol, sam, nobody, org, now):
    """People (bob has a full name, dan none), the units, and complaints in a state."""
    bob.first_name, bob.last_name = "乙", "李"
    bob.save()
    dan = _user("dan", Role.BRANCH, org["a"])
    hana = _user("hana", Role.BRANCH, org["a"])
    org["a"].head = hana
    org["a"].save()
    count = iter(range(100))

    def at(state, unit="a"):
        n = next(count)
        complaint = make_complaint(phone=f"1390000{n:04d}", tracking_no=f"SF77700000{n:02d}")
        complaint = bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
        if unit == "b":
            services.complaint_reassign(
                complaint=complaint, unit=org["b"], by=alice, reason="派错网点", now=now
            )
        return Complaint.objects.get(pk=complaint.pk)

    people = {"alice": alice, "bob": bob, "carol": carol, "sam": sam, "nobody": nobody}
    return {**people, "dan": dan, "hana": hana, "customer": CUSTOMER, "org": org, "at": at}


def _refused(call, exc_type, message, field_errors=None):
    with nothing_changed(), pytest.raises(exc_type) as raised:
        call()
    error = raised.value
    assert type(error) is exc_type
    assert (str(error), error.message) == (message, message)
    assert error.field_errors == (field_errors or {})


def _rows(complaint, *names):
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
        for row in ComplaintTransition.objects.filter(
            complaint=complaint, transition__in=names
        ).order_by("id")
    ]


# --- 我来处理 --------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "when"), [(LATER, LATER), (None, CLOCK)])
def test_take_makes_the_clerk_the_handler_with_its_audit_row(ctx, now, when):
    complaint = ctx["at"]("verifying")
    services.complaint_take(complaint=complaint, by=ctx["bob"], now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id == ctx["bob"].pk
    assert _rows(complaint, "take") == [
        {
            "actor": ctx["bob"].pk,
            "kind": "staff",
            "at": when,
            "transition": "take",
            "from": "verifying",
            "to": "verifying",
            "reason": "",
            "details": {"handler": ctx["bob"].pk, "handler_name": "乙 李"},
        }
    ]


def test_take_on_a_copy_read_before_the_reply(ctx):
    """Taking is not a transition: a state changed since the page was read does not matter."""
    copy = ctx["at"]("verifying")
    services.complaint_reply(
        complaint=Complaint.objects.get(pk=copy.pk),
        by=ctx["bob"],
        reply=GOOD_REPLY,
        now=NOW,
    )
    services.complaint_take(complaint=copy, by=ctx["dan"], now=LATER)
    copy.refresh_from_db()
    assert (copy.status, copy.handler_id) == ("answered", ctx["dan"].pk)
    assert _rows(copy, "take")[0]["details"] == {"handler": ctx["dan"].pk, "handler_name": "dan"}


# (id, who takes, state, who holds it already, exception, message)
TAKE_REFUSALS = [
    ("a-colleagues", "dan", "verifying", "bob", Conflict,
     "该工单已由乙 李处理，如需转交请联系单位负责人。"),
    ("a-colleagues-no-name", "bob", "verifying", "dan", Conflict,
     "该工单已由dan处理，如需转交请联系单位负责人。"),
    ("already-mine", "bob", "answered", "bob", Conflict, "您已是该工单的处理人。"),
    ("closed", "bob", "closed", None, Conflict, "工单当前状态为“闭环”，不能指派处理人。"),
    ("agent", "alice", "verifying", None, NotAllowed, ONLY_BRANCH),
    ("supervisor", "sam", "verifying", None, NotAllowed, ONLY_BRANCH),
    ("before-dispatch", "alice", "accepted", None, NotAllowed, ONLY_BRANCH),
    ("another-units-clerk", "carol", "verifying", None, NotFound, NOT_FOUND),
    ("not-staff", "nobody", "verifying", None, NotAllowed, NOT_STAFF),
    ("customer", "customer", "verifying", None, NotAllowed, NOT_FOR_CUSTOMER),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "holder", "exc_type", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in TAKE_REFUSALS],
)
def test_take_refuses(ctx, who, state, holder, exc_type, message):
    complaint = ctx["at"](state)
    if holder:
        Complaint.objects.filter(pk=complaint.pk).update(handler=ctx[holder])
        complaint.refresh_from_db()
    _refused(
        lambda: services.complaint_take(complaint=complaint, by=ctx[who], now=LATER),
        exc_type,
        message,
    )


def test_take_refuses_a_copy_read_before_a_reassignment(ctx):
    """Only a superuser who is also the unit's clerk gets past the scope check to see it."""
    root = _user("root", Role.BRANCH, ctx["org"]["a"])
    get_user_model().objects.filter(pk=root.pk).update(is_superuser=True)
    root.refresh_from_db()
    copy = ctx["at"]("verifying")
    services.complaint_reassign(
        complaint=Complaint.objects.get(pk=copy.pk),
        unit=ctx["org"]["b"],
        by=ctx["alice"],
        reason="派错网点",
        now=NOW,
    )
    _refused(lambda: services.complaint_take(complaint=copy, by=root, now=LATER), Conflict, MOVED)


# --- 指派处理人 -----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "now", "when"), [("hana", LATER, LATER), ("sam", None, CLOCK)])
def test_assign_change_and_clear_the_handler_with_their_audit_rows(ctx, who, now, when):
    complaint = ctx["at"]("verifying")
    by, bob, dan = ctx[who], ctx["bob"], ctx["dan"]

    def assign(handler, **reason):
        services.complaint_assign_handler(
            complaint=complaint, handler=handler, by=by, now=now, **reason
        )
        complaint.refresh_from_db()
        return complaint.handler_id

    assert assign(dan) == dan.pk
    assert assign(bob, reason="  均衡负荷 \n") == bob.pk
    assert assign(None, reason="") is None
    row = {"actor": by.pk, "kind": "staff", "at": when, "from": "verifying", "to": "verifying"}
    assert _rows(complaint, "assign_handler", "unassign_handler") == [
        {
            **row,
            "transition": "assign_handler",
            "reason": "",
            "details": {"handler": dan.pk, "handler_name": "dan", "previous": None,
                        "previous_name": ""},
        },
        {
            **row,
            "transition": "assign_handler",
            "reason": "均衡负荷",
            "details": {"handler": bob.pk, "handler_name": "乙 李", "previous": dan.pk,
                        "previous_name": "dan"},
        },
        {
            **row,
            "transition": "unassign_handler",
            "reason": "",
            "details": {"handler": None, "handler_name": "", "previous": bob.pk,
                        "previous_name": "乙 李"},
        },
    ]  # fmt: skip


def test_assign_on_a_copy_read_before_the_reply(ctx):
    copy = ctx["at"]("verifying")
    services.complaint_reply(
        complaint=Complaint.objects.get(pk=copy.pk), by=ctx["bob"], reply=GOOD_REPLY, now=NOW
    )
    services.complaint_assign_handler(complaint=copy, handler=ctx["dan"], by=ctx["alice"])
    copy.refresh_from_db()
    assert (copy.status, copy.handler_id) == ("answered", ctx["dan"].pk)


def test_assign_refuses_a_copy_read_before_a_reassignment(ctx):
    copy = ctx["at"]("verifying")
    services.complaint_reassign(
        complaint=Complaint.objects.get(pk=copy.pk),
        unit=ctx["org"]["b"],
        by=ctx["alice"],
        reason="派错网点",
        now=NOW,
    )
    _refused(
        lambda: services.complaint_assign_handler(
            complaint=copy, handler=ctx["carol"], by=ctx["alice"], now=LATER
        ),
        Conflict,
        MOVED,
    )


def _extra_person(ctx, kind):
    org = ctx["org"]
    if kind == "agent-of-the-unit":
        return _user("quinn", Role.AGENT, org["a"])
    if kind == "inactive-clerk":
        user = _user("ivy", Role.BRANCH, org["a"])
        user.is_active = False
        user.save()
        return user
    return ctx[kind]


# (id, who assigns, state, handler now, new handler, exception, message, field errors)
ASSIGN_REFUSALS = [
    ("plain-clerk", "bob", "verifying", None, "dan", NotAllowed, ONLY_ASSIGNERS, None),
    ("another-units-clerk", "carol", "verifying", None, "dan", NotFound, NOT_FOUND, None),
    ("not-staff", "nobody", "verifying", None, "dan", NotAllowed, NOT_STAFF, None),
    ("customer", "customer", "verifying", None, "dan", NotAllowed, NOT_FOR_CUSTOMER, None),
    ("another-units-handler", "alice", "verifying", None, "carol", InvalidInput,
     NOT_UNIT_STAFF, {"handler": NOT_UNIT_STAFF}),
    ("an-agent-of-the-unit", "hana", "verifying", None, "agent-of-the-unit", InvalidInput,
     NOT_UNIT_STAFF, {"handler": NOT_UNIT_STAFF}),
    ("an-inactive-clerk", "sam", "answered", None, "inactive-clerk", InvalidInput,
     NOT_UNIT_STAFF, {"handler": NOT_UNIT_STAFF}),
    ("same-handler", "alice", "verifying", "dan", "dan", Conflict, "处理人没有变化。", None),
    ("nobody-to-nobody", "alice", "verifying", None, None, Conflict, "处理人没有变化。", None),
    ("closed", "alice", "closed", None, "dan", Conflict,
     "工单当前状态为“闭环”，不能指派处理人。", None),
    ("before-dispatch", "alice", "accepted", None, "dan", Conflict,
     "工单当前状态为“受理”，不能指派处理人。", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "state", "holder", "handler", "exc_type", "message", "field_errors"),
    [pytest.param(*row[1:], id=row[0]) for row in ASSIGN_REFUSALS],
)
def test_assign_refuses(ctx, who, state, holder, handler, exc_type, message, field_errors):
    complaint = ctx["at"](state)
    if holder:
        Complaint.objects.filter(pk=complaint.pk).update(handler=ctx[holder])
        complaint.refresh_from_db()
    person = _extra_person(ctx, handler) if handler else None
    _refused(
        lambda: services.complaint_assign_handler(
            complaint=complaint, handler=person, by=ctx[who], reason="均衡负荷", now=LATER
        ),
        exc_type,
        message,
        field_errors,
    )


# --- Who is who --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit", "expected"),
    [
        ("hana", "a", True),
        ("hana", "b", False),
        ("hana", None, False),
        ("bob", "a", False),
        ("customer", "a", False),
        (None, "a", False),
        ("unsaved", "a", False),
    ],
)
def test_is_unit_head(ctx, who, unit, expected):
    user = get_user_model()(username="new") if who == "unsaved" else ctx.get(who)
    unit_id = ctx["org"][unit].pk if unit else None
    assert is_unit_head(user, unit_id) is expected


@pytest.mark.parametrize(
    ("who", "unit", "expected"),
    [
        ("bob", "a", True),
        ("hana", "a", True),
        ("carol", "a", False),
        ("carol", None, False),
        ("alice", "a", False),
        ("alice", None, False),
        ("nobody", "a", False),
        ("customer", "a", False),
    ],
)
def test_may_take(ctx, who, unit, expected):
    complaint = Complaint(unit=ctx["org"][unit] if unit else None)
    assert may_take(ctx[who], complaint) is expected


# --- The unit's staff and their loads ----------------------------------------------------------


def test_staff_loads_counts_open_overdue_and_the_newest_dispatch(ctx):
    org, bob, carol = ctx["org"], ctx["bob"], ctx["carol"]
    _user("quinn", Role.AGENT, org["a"])  # not branch staff: not listed
    ivy = _user("ivy", Role.BRANCH, org["a"])
    ivy.is_active = False  # left: not listed
    ivy.save()
    mine = ctx["at"]("verifying")
    services.complaint_take(complaint=mine, by=bob, now=NOW)
    done = ctx["at"]("accepted")  # dispatched later, then withdrawn: not open
    done = services.complaint_dispatch(complaint=done, unit=org["a"], by=ctx["alice"], now=LATER)
    services.complaint_take(complaint=done, by=bob, now=LATER)
    services.complaint_withdraw(
        complaint=Complaint.objects.get(pk=done.pk), by=ctx["alice"], reason="撤诉", now=LATER
    )
    # carol took one at branch B, then moved to branch A: it is not branch A's load
    theirs = ctx["at"]("verifying", unit="b")
    services.complaint_take(complaint=theirs, by=carol, now=NOW)
    StaffProfile.objects.filter(user=carol).update(unit=org["a"])
    due = Complaint.objects.get(pk=mine.pk).next_deadline
    assert due > NOW

    def loads(now):
        return services.staff_loads(org["a"].pk, now=now)

    def row(user, first="", last="", open_load=0, overdue=0, last_at=None):
        return {
            "user_id": user.pk,
            "user__username": user.username,
            "user__first_name": first,
            "user__last_name": last,
            "on_duty": True,
            "open_load": open_load,
            "overdue": overdue,
            "last_assigned_at": last_at,
        }

    def expected(bob_overdue):
        return [
            row(bob, "乙", "李", 1, bob_overdue, NOW),
            row(carol),
            row(ctx["dan"]),
            row(ctx["hana"]),
        ]

    assert loads(due - timedelta(seconds=1)) == expected(0)
    assert loads(due) == expected(0)
    assert loads(due + timedelta(seconds=1)) == expected(1)
    assert loads(None) == expected(int(due < CLOCK))


# --- On duty ---------------------------------------------------------------------------------

OFF_DUTY_REFUSALS = [
    ("customer", "customer", "bob", LOG_IN),
    ("inactive-self", "inactive", "bob", LOG_IN),
    ("a-colleague", "dan", "bob", "只有本人或单位负责人可以切换在岗状态。"),
    ("another-units-head", "carol-head", "bob", "只有本人或单位负责人可以切换在岗状态。"),
    ("an-agent", "alice", "alice", "只有网点人员有在岗状态。"),
    ("no-one", "hana", None, "只有网点人员有在岗状态。"),
]


@pytest.mark.parametrize(
    ("who", "person", "message"), [pytest.param(*r[1:], id=r[0]) for r in OFF_DUTY_REFUSALS]
)
def test_on_duty_refuses(ctx, who, person, message):
    if who == "inactive":
        ctx["bob"].is_active = False
        ctx["bob"].save()
        who = "bob"
    if who == "carol-head":
        ctx["org"]["b"].head = ctx["carol"]
        ctx["org"]["b"].save()
        who = "carol"
    _refused(
        lambda: services.staff_set_on_duty(
            person=ctx[person] if person else None, on_duty=False, by=ctx[who]
        ),
        NotAllowed,
        message,
    )


def test_on_duty_switches_and_logs_who_did_it(ctx):
    bob, hana = ctx["bob"], ctx["hana"]
    profile = services.staff_set_on_duty(person=bob, on_duty=False, by=hana)
    assert profile.on_duty is False
    assert StaffProfile.objects.get(user=bob).on_duty is False
    services.staff_set_on_duty(person=bob, on_duty=False, by=bob)  # no change: no log row
    services.staff_set_on_duty(person=bob, on_duty=True, by=bob)
    assert StaffProfile.objects.get(user=bob).on_duty is True
    rows = LogEntry.objects.order_by("id")
    assert [
        (r.user_id, r.object_id, r.content_type.model_class(), r.action_flag, r.change_message)
        for r in rows
    ] == [
        (hana.pk, str(profile.pk), StaffProfile, CHANGE, "离岗"),
        (bob.pk, str(profile.pk), StaffProfile, CHANGE, "在岗"),
    ]


# --- The unit's automatic assignment ------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "cap", "exc_type", "message", "field_errors"),
    [
        pytest.param("customer", 5, NotAllowed, LOG_IN, None, id="customer"),
        pytest.param("inactive-head", 5, NotAllowed, LOG_IN, None, id="inactive-head"),
        pytest.param("bob", 5, NotAllowed, "只有单位负责人可以设置自动分配。", None, id="clerk"),
        pytest.param("carol-head", 5, NotAllowed, "只有单位负责人可以设置自动分配。", None,
                     id="another-units-head"),
        *[
            pytest.param("hana", cap, InvalidInput, BAD_CAP, {"assign_cap": BAD_CAP}, id=str(cap))
            for cap in (0, 1000, -1, "5", True, 2.0, None)
        ],
    ],
)  # fmt: skip
def test_auto_assign_refuses(ctx, who, cap, exc_type, message, field_errors):
    unit = ctx["org"]["a"]
    if who == "inactive-head":
        ctx["hana"].is_active = False
        ctx["hana"].save()
        who = "hana"
    if who == "carol-head":
        ctx["org"]["b"].head = ctx["carol"]
        ctx["org"]["b"].save()
        who = "carol"
    _refused(
        lambda: services.unit_set_auto_assign(unit=unit, auto_assign=True, cap=cap, by=ctx[who]),
        exc_type,
        message,
        field_errors,
    )


def test_auto_assign_takes_the_caps_limits_and_logs_each_change(ctx):
    unit, hana = ctx["org"]["a"], ctx["hana"]
    for auto_assign, cap in [(True, 1), (True, 1), (False, 999), (False, 30)]:
        saved = services.unit_set_auto_assign(unit=unit, auto_assign=auto_assign, cap=cap, by=hana)
        assert (saved.auto_assign, saved.assign_cap) == (auto_assign, cap)
        fresh = Unit.objects.get(pk=unit.pk)
        assert (fresh.auto_assign, fresh.assign_cap) == (auto_assign, cap)
    rows = LogEntry.objects.order_by("id")
    assert [
        (r.user_id, r.object_id, r.content_type.model_class(), r.action_flag, r.change_message)
        for r in rows
    ] == [
        (hana.pk, str(unit.pk), Unit, CHANGE, "自动分配：开，每人在办上限 1"),
        (hana.pk, str(unit.pk), Unit, CHANGE, "自动分配：关，每人在办上限 999"),
        (hana.pk, str(unit.pk), Unit, CHANGE, "自动分配：关，每人在办上限 30"),
    ]
