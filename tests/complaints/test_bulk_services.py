"""complaints.services.bulk, word for word: each refusal's message and field, each item's
ticket number, message and code, what each action stores (audit rows, notes, notices) and when.

tests/complaints/test_bulk.py tells the story; this file pins the details.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Note, Role, StaffProfile, Unit
from complaints.services import bulk
from kernel.errors import InvalidInput, NotAllowed
from kernel.models import Notice
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=5, minutes=7)  # a `now` apart from the fixtures' clock and the real one


@pytest.fixture
def two(make_complaint):
    return [make_complaint(tracking_no=f"SF{i:010d}", phone=f"1390000{i:04d}") for i in range(2)]


def audit(complaint, transition):
    return ComplaintTransition.objects.get(complaint=complaint, transition=transition)


def refusal(by, **params):
    """The InvalidInput/NotAllowed `complaints_bulk` raises, checking it changed nothing."""
    with nothing_changed(), pytest.raises((InvalidInput, NotAllowed)) as caught:
        bulk.complaints_bulk(by=by, **params)
    return caught.value


# --- a wrong request as a whole: the message, the field, nothing stored ----------------------

PLEASE_PICK = "请选择工单。"


@pytest.mark.parametrize(
    ("params", "message", "field"),
    [
        ({"action": "delete"}, "批量操作无效。", "action"),
        ({"tickets": "TS20261116000001"}, PLEASE_PICK, "tickets"),  # not a list
        ({"tickets": [1, 2]}, PLEASE_PICK, "tickets"),  # a list, but not of strings
        ({"tickets": None}, PLEASE_PICK, "tickets"),
        ({"tickets": ["", "  ", "\x00"]}, PLEASE_PICK, "tickets"),  # nothing left once cleaned
        ({"tickets": [f"T{i}" for i in range(101)]}, "一次最多处理100件工单。", "tickets"),
        ({"action": "dispatch", "unit": "NOPE"}, "请选择有效的责任单位。", "unit"),
        ({"action": "dispatch", "unit": ""}, "请选择有效的责任单位。", "unit"),
        ({"action": "dispatch", "unit": "   "}, "请选择有效的责任单位。", "unit"),
        ({"action": "dispatch", "unit": None}, "请选择有效的责任单位。", "unit"),
        ({"action": "dispatch", "unit": "A\x00"}, "请选择有效的责任单位。", "unit"),
        ({"action": "dispatch"}, "请选择有效的责任单位。", "unit"),
        ({"action": "reassign", "unit": "B", "reason": "  "}, "请填写改派原因。", "reason"),
        ({"action": "reassign", "unit": "B", "reason": None}, "请填写改派原因。", "reason"),
        ({"action": "note", "text": ...}, "请填写备注内容。", "text"),  # left out
        ({"action": "note", "text": " \x00 "}, "请填写备注内容。", "text"),
        ({"action": "note", "text": None}, "请填写备注内容。", "text"),
        ({"action": "note", "text": "字" * 2001}, "备注内容不能超过2000字。", "text"),
        (
            {"action": "reassign", "unit": "B", "reason": "因" * 2001},
            "改派原因不能超过2000字。",
            "reason",
        ),
        ({"action": "assign", "handler": "x"}, "请选择处理人。", "handler"),
        ({"action": "assign", "handler": None}, "请选择处理人。", "handler"),
        ({"action": "assign", "handler": 0}, "请选择处理人。", "handler"),
        ({"action": "assign", "handler": -1}, "请选择处理人。", "handler"),
        ({"action": "assign", "handler": 2**31}, "请选择处理人。", "handler"),
        ({"action": "assign", "handler": 10**20}, "请选择处理人。", "handler"),
    ],
)
def test_a_wrong_request_is_refused_with_its_message_on_its_field(
    alice, two, params, message, field
):
    params = {"action": "note", "text": "已联系", "tickets": [c.ticket_no for c in two], **params}
    params = {k: v for k, v in params.items() if v is not ...}
    error = refusal(alice, **params)
    assert type(error) is InvalidInput
    assert error.message == message
    assert error.field_errors == {field: message}


def test_at_most_100_tickets_at_once(alice, two):
    numbers = [two[0].ticket_no] + [f"TS2026111690{i:04d}" for i in range(99)]
    result = bulk.complaints_bulk(by=alice, action="mark_read", tickets=numbers)
    assert len(result.items) == 100
    assert result.items[0].ok


def test_an_inactive_unit_is_not_a_unit(alice, org, two):
    Unit.objects.filter(pk=org["a"].pk).update(is_active=False)
    error = refusal(alice, action="dispatch", tickets=[two[0].ticket_no], unit="A")
    assert error.field_errors == {"unit": "请选择有效的责任单位。"}


def test_an_inactive_person_cannot_be_assigned(alice, bob, org, two):
    services.complaint_dispatch(complaint=two[0], unit=org["a"], by=alice)
    get_user_model().objects.filter(pk=bob.pk).update(is_active=False)
    error = refusal(alice, action="assign", tickets=[two[0].ticket_no], handler=bob.pk)
    assert error.field_errors == {"handler": "请选择处理人。"}


def test_a_unit_code_is_read_to_its_32_characters(alice, org, two):
    long_code = "U" * 32
    unit = Unit.objects.create(
        code=long_code, name="长编码网点", kind=Unit.Kind.BRANCH, parent=org["region"]
    )
    result = bulk.complaints_bulk(
        by=alice, action="dispatch", tickets=[two[0].ticket_no], unit=f" {long_code}X "
    )
    assert result.items[0].ok, result.items[0]
    assert Complaint.objects.get(pk=two[0].pk).unit == unit


def test_the_user_with_id_1_is_a_person_like_any_other(alice, org, two):
    # Ids come from a sequence that never goes back; move it past 1 and take 1 by hand.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('auth_user', 'id'), 1000000)")
    User = get_user_model()
    if User.objects.filter(pk=1).exists():
        pytest.skip("a user with id 1 exists in this database")
    first = User.objects.create_user(id=1, username="first", password="pw-for-tests-only")
    StaffProfile.objects.create(user=first, role=Role.BRANCH, unit=org["a"])
    services.complaint_dispatch(complaint=two[0], unit=org["a"], by=alice)
    result = bulk.complaints_bulk(by=alice, action="assign", tickets=[two[0].ticket_no], handler=1)
    assert result.items[0].ok, result.items[0]
    # …and a handler that is no number is nobody, not user 1.
    error = refusal(alice, action="assign", tickets=[two[0].ticket_no], handler="first")
    assert error.field_errors == {"handler": "请选择处理人。"}


# --- who may ---------------------------------------------------------------------------------

NO_RIGHT = "您没有权限批量处理工单。"


def _inactive(user):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    return get_user_model().objects.get(pk=user.pk)


def _with_view_right(user):
    user.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def _without_groups(user):
    user.groups.clear()
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize(
    "who",
    [
        "customer",
        "system",
        "inactive agent",
        "partner",
        "no role",
        "no role, view right given by hand",
        "partner, view right given by hand",
        "agent without the view right",
    ],
)
def test_who_may_not_is_refused_with_the_message(alice, pat, nobody, two, who):
    by = {
        "customer": "customer",
        "system": "system",
        "inactive agent": lambda: _inactive(alice),
        "partner": lambda: pat,
        "no role": lambda: nobody,
        "no role, view right given by hand": lambda: _with_view_right(nobody),
        "partner, view right given by hand": lambda: _with_view_right(pat),
        "agent without the view right": lambda: _without_groups(alice),
    }[who]
    by = by() if callable(by) else by
    error = refusal(by, action="mark_read", tickets=[two[0].ticket_no])
    assert type(error) is NotAllowed
    assert error.message == NO_RIGHT
    assert error.field_errors == {}


# --- each action: its item, its rows, its time -----------------------------------------------


def test_dispatch_stores_the_unit_and_an_audit_row_at_the_given_time(alice, org, two, now):
    at = now + LATER
    result = bulk.complaints_bulk(
        by=alice,
        action="dispatch",
        tickets=[f" {two[0].ticket_no.lower()}\x00 ", two[0].ticket_no],  # one ticket, twice
        unit=" A ",
        reason=" 客户\x00要求 " + "加" * 2000,
        now=at,
    )
    assert result.action == "dispatch"
    assert result.items == [bulk.BulkItem(two[0].ticket_no, True, "已下发至网点甲。", "done")]
    complaint = Complaint.objects.get(pk=two[0].pk)
    assert (complaint.unit, complaint.status, complaint.dispatched_at) == (
        org["a"],
        "verifying",
        at,
    )
    row = audit(complaint, "dispatch")
    assert (row.actor, row.at, row.from_state, row.to_state) == (alice, at, "accepted", "verifying")
    assert row.reason == ("客户要求 " + "加" * 2000)[:2000]
    assert row.details == {"unit": "A"}


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_optional_reason_left_out_is_stored_empty(alice, two, reason):
    extra = {} if reason == "" else {"reason": reason}
    result = bulk.complaints_bulk(
        by=alice, action="dispatch", tickets=[two[0].ticket_no], unit="A", **extra
    )
    assert result.items[0].ok
    assert audit(two[0], "dispatch").reason == ""


def test_without_now_the_time_is_the_clock(alice, two):
    import time_machine

    from tests.conftest import NOW

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        bulk.complaints_bulk(by=alice, action="dispatch", tickets=[two[0].ticket_no], unit="A")
    assert audit(two[0], "dispatch").at == NOW + timedelta(days=1)


def test_reassign_moves_it_with_its_reason(alice, org, two, now):
    services.complaint_dispatch(complaint=two[0], unit=org["a"], by=alice, now=now)
    at = now + LATER
    result = bulk.complaints_bulk(
        by=alice,
        action="reassign",
        tickets=[two[0].ticket_no],
        unit="B",
        reason=" 不归\x00本网点 ",
        now=at,
    )
    assert result.items == [bulk.BulkItem(two[0].ticket_no, True, "已改派至网点乙。", "done")]
    complaint = Complaint.objects.get(pk=two[0].pk)
    assert (complaint.unit, complaint.dispatched_at) == (org["b"], at)
    row = audit(complaint, "reassign")
    assert (row.actor, row.at, row.from_state, row.to_state) == (
        alice,
        at,
        "verifying",
        "verifying",
    )
    assert row.reason == "不归本网点"
    assert row.details == {"unit": "B", "previous": "A", "previous_handler": None}


@pytest.mark.parametrize(("first", "last", "shown"), [("小明", "王", "小明 王"), ("", "", "bob")])
def test_assign_names_the_person_and_keeps_the_reason(
    alice, bob, org, two, now, first, last, shown
):
    get_user_model().objects.filter(pk=bob.pk).update(first_name=first, last_name=last)
    services.complaint_dispatch(complaint=two[0], unit=org["a"], by=alice, now=now)
    at = now + LATER
    result = bulk.complaints_bulk(
        by=alice,
        action="assign",
        tickets=[two[0].ticket_no],
        handler=str(bob.pk),
        reason=" 熟悉该片区 ",
        now=at,
    )
    assert result.items == [bulk.BulkItem(two[0].ticket_no, True, f"已指派给{shown}。", "done")]
    assert Complaint.objects.get(pk=two[0].pk).handler_id == bob.pk
    row = audit(two[0], "assign_handler")
    assert (row.actor, row.at, row.reason) == (alice, at, "熟悉该片区")
    assert row.details == {
        "handler": bob.pk,
        "handler_name": shown,
        "previous": None,
        "previous_name": "",
    }


def test_note_stores_the_cleaned_text_at_the_given_time(alice, two, now):
    at = now + LATER
    text = "已电话\x00联系客户" + "。" * (2000 - 7)
    assert len(text) == 2001  # 2000 once the NUL is gone: at the limit
    result = bulk.complaints_bulk(
        by=alice, action="note", tickets=[t.ticket_no for t in two], text=f"  {text} ", now=at
    )
    assert result.items == [bulk.BulkItem(c.ticket_no, True, "已添加备注。", "done") for c in two]
    for c in two:
        note = Note.objects.get(complaint=c)
        assert (note.by, note.at, note.text) == (alice, at, text.replace("\x00", ""))


def test_mark_read_leaves_read_notices_as_they_were(alice, two, now):
    read_at = now - timedelta(days=1)
    old = Notice.objects.create(
        user=alice, complaint_id=two[0].pk, title="新工单", created_at=now, read_at=read_at
    )
    result = bulk.complaints_bulk(
        by=alice, action="mark_read", tickets=[two[0].ticket_no], now=now + LATER
    )
    assert result.items == [bulk.BulkItem(two[0].ticket_no, True, "没有未读通知。", "done")]
    old.refresh_from_db()
    assert old.read_at == read_at


def test_each_refused_item_names_its_ticket_with_the_refusal(alice, org, two):
    services.complaint_dispatch(complaint=two[1], unit=org["b"], by=alice)
    long_input = f"{two[0].ticket_no}ABCDEFGHIJKLMN".lower()
    result = bulk.complaints_bulk(
        by=alice,
        action="dispatch",
        tickets=[long_input, two[1].ticket_no],
        unit="A",
    )
    assert result.action == "dispatch"
    assert result.items[0] == bulk.BulkItem(
        long_input.upper()[:24], False, "工单不存在。", "not_found"
    )
    refused = result.items[1]
    assert (refused.ticket_no, refused.ok, refused.code) == (two[1].ticket_no, False, "conflict")
