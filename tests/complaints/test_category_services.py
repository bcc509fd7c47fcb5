"""Changing a complaint's category (complaints/services/category.py), at the service: which
earlier complaint it then repeats (SPEC §3, seed 001 §(二)3: the same customer, the same
category, open or answered/closed within the repeat window), the urgency it may gain, and every
refusal word for word. tests/complaints/test_set_category.py covers the page and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import Phrase, Priority
from kernel.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PHONE = "13900002222"


def _move(complaint, by, now, category="loss"):
    return services.complaint_set_category(
        complaint=complaint, by=by, category=category, reason="核实后调整", now=now
    )


# --- The repeat link follows the new category ------------------------------------------------


def _answered_then_withdrawn(complaint, *, agent, branch_user, unit, now):
    complaint = services.complaint_dispatch(complaint=complaint, unit=unit, by=agent, now=now)
    services.complaint_reply(complaint=complaint, by=branch_user, reply=GOOD_REPLY, now=now)
    complaint.refresh_from_db()
    return services.complaint_withdraw(complaint=complaint, by=agent, reason="客户撤诉", now=now)


@pytest.mark.parametrize(
    ("earlier_state", "days_later", "repeats"),
    [
        pytest.param("accepted", 40, True, id="open-however-old"),
        pytest.param("closed", 29, True, id="closed-within-the-window"),
        pytest.param("closed", 31, False, id="closed-before-the-window"),
        pytest.param("answered-withdrawn", 29, True, id="answered-then-withdrawn-within"),
        pytest.param("answered-withdrawn", 31, False, id="answered-then-withdrawn-before"),
        pytest.param("rejected", 1, False, id="rejected-never-counts"),
    ],
)
def test_it_repeats_the_customers_earlier_complaint_in_the_new_category(
    alice, bob, org, make_complaint, now, earlier_state, days_later, repeats
):
    earlier = make_complaint(unit_code="A", category="loss", phone=PHONE, tracking_no="SF5700001")
    if earlier_state == "answered-withdrawn":
        earlier = _answered_then_withdrawn(
            earlier, agent=alice, branch_user=bob, unit=org["a"], now=now
        )
    else:
        earlier = bring_to(
            earlier_state, earlier, agent=alice, branch_user=bob, unit=org["a"], now=now
        )
    later = now + days_later * DAY
    complaint = make_complaint(
        unit_code="A", category="delay", phone=PHONE, tracking_no="SF5700002", at=later
    )
    assert complaint.repeat_of_id is None

    _move(complaint, alice, later + HOUR)

    complaint.refresh_from_db()
    audit = complaint.transitions.get(transition="set_category")
    if repeats:
        assert (complaint.repeat_of_id, complaint.repeat_count) == (earlier.pk, 1)
        assert audit.details == {
            "category": "loss",
            "previous": "delay",
            "repeat_of": earlier.ticket_no,
        }
    else:
        assert (complaint.repeat_of_id, complaint.repeat_count) == (None, 0)
        assert audit.details == {"category": "loss", "previous": "delay"}


@pytest.mark.parametrize(
    ("other", "why"),
    [
        pytest.param({"phone": "13900003333"}, "another customer", id="another-phone"),
        pytest.param({"category": "damage"}, "another category", id="a-third-category"),
        pytest.param({"at": "later"}, "filed after this one", id="a-later-complaint"),
    ],
)
def test_it_repeats_no_complaint_but_the_same_customers_earlier_one_in_that_category(
    alice, make_complaint, now, other, why
):
    complaint = make_complaint(unit_code="A", category="delay", phone=PHONE, tracking_no="SF58001")
    fields = {"category": "loss", "phone": PHONE, **other}
    at = now - 2 * HOUR
    if fields.pop("at", None) == "later":
        at = now + HOUR
    make_complaint(unit_code="B", tracking_no="SF58002", at=at, **fields)

    _move(complaint, alice, now + 2 * HOUR)

    complaint.refresh_from_db()
    assert (complaint.repeat_of_id, complaint.repeat_count) == (None, 0), why


def test_a_repeat_counts_one_more_than_the_complaint_it_repeats(alice, make_complaint, now):
    first = make_complaint(unit_code="A", category="loss", phone=PHONE, tracking_no="SF59001")
    second = make_complaint(
        unit_code="A", category="loss", phone=PHONE, tracking_no="SF59002", at=now + HOUR
    )
    assert (second.repeat_of_id, second.repeat_count) == (first.pk, 1)
    complaint = make_complaint(
        unit_code="A", category="delay", phone=PHONE, tracking_no="SF59003", at=now + 2 * HOUR
    )

    _move(complaint, alice, now + 3 * HOUR)

    complaint.refresh_from_db()
    assert (complaint.repeat_of_id, complaint.repeat_count) == (second.pk, 2)


# --- Urgency raised by the new category ------------------------------------------------------


def test_the_raised_priority_is_audited_with_all_its_reasons(alice, make_complaint, now):
    """Words an administrator added since intake count, with the cluster the change completes."""
    for i, phone in enumerate(("13911113001", "13911113002")):
        make_complaint(unit_code="A", category="loss", tracking_no=f"SF6000000{i}", phone=phone)
    complaint = make_complaint(
        unit_code="A",
        tracking_no="SF6000009",
        phone="13911113003",
        description="快件内有传家玉镯，至今未送达。",
    )
    assert complaint.priority == Priority.NORMAL
    Phrase.objects.create(kind=Phrase.Kind.URGENT_CONTENTS, text="传家玉镯")
    changed_at = now + HOUR

    _move(complaint, alice, changed_at)

    complaint.refresh_from_db()
    reasons = ["涉及证照或贵重物品（传家玉镯）", "短期内3名客户对同一单位同类问题投诉"]
    assert (complaint.priority, complaint.urgent_reasons) == (Priority.URGENT, reasons)
    raised = complaint.transitions.get(transition="set_priority")
    assert (raised.actor, raised.actor_kind, raised.at) == (None, "system", changed_at)
    assert raised.reason == "；".join(reasons)
    assert raised.details == {"priority": "urgent"}


# --- What it changes, and refusals ---------------------------------------------------------------


def test_a_change_on_a_ticket_someone_moved_meanwhile_applies_to_it_as_it_is_now(
    alice, org, make_complaint, now
):
    """Only the category changes: a dispatch since the page was read is no conflict."""
    complaint = make_complaint(unit_code="A")
    stale = type(complaint).objects.get(pk=complaint.pk)
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)

    moved = _move(stale, alice, now + HOUR)

    complaint.refresh_from_db()
    assert (complaint.category, complaint.status, moved.status) == (
        "loss",
        "verifying",
        "verifying",
    )
    audit = complaint.transitions.get(transition="set_category")
    assert (audit.from_state, audit.to_state, audit.reason) == (
        "verifying",
        "verifying",
        "核实后调整",
    )


CHANGE = {"category": "loss", "reason": "客户确认快件丢失"}


@pytest.mark.parametrize(
    ("persona", "state", "body", "error", "message", "fields"),
    [
        pytest.param(
            "bob", "open", {}, NotAllowed, "您没有权限执行此操作。", {}, id="branch-staff"
        ),
        pytest.param("carol", "open", {}, NotFound, "工单不存在。", {}, id="another-unit"),
        pytest.param(
            "nobody", "open", {}, NotAllowed, "您不是系统内的员工，不能处理投诉。", {}, id="nobody"
        ),
        pytest.param("customer", "open", {}, NotAllowed, "客户不能执行此操作。", {}, id="customer"),
        pytest.param(
            "alice",
            "open",
            {"category": "lost"},
            InvalidInput,
            "投诉类别无效。",
            {"category": "投诉类别无效。"},
            id="unknown-category",
        ),
        pytest.param(
            "alice",
            "open",
            {"reason": "  "},
            InvalidInput,
            "请填写调整原因。",
            {"reason": "请填写调整原因。"},
            id="blank-reason",
        ),
        pytest.param(
            "alice",
            "open",
            {"category": "delay"},
            Conflict,
            "投诉类别没有变化。",
            {},
            id="same-category",
        ),
        pytest.param(
            "alice", "closed", {}, Conflict, "工单已闭环，不能调整投诉类别。", {}, id="closed"
        ),
        pytest.param(
            "alice",
            "rejected",
            {},
            Conflict,
            "工单已不予受理，不能调整投诉类别。",
            {},
            id="rejected",
        ),
        pytest.param(
            "alice", "withdrawn", {}, Conflict, "工单已撤诉，不能调整投诉类别。", {}, id="withdrawn"
        ),
    ],
)
def test_refusals_name_the_problem_and_change_nothing(
    request, org, alice, bob, make_complaint, now, persona, state, body, error, message, fields
):
    complaint = make_complaint(unit_code="A")
    if state != "open":
        complaint = bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
    user = persona if persona == "customer" else request.getfixturevalue(persona)

    with nothing_changed(), pytest.raises(DomainError) as caught:
        services.complaint_set_category(
            complaint=complaint, by=user, now=now + HOUR, **{**CHANGE, **body}
        )

    exc = caught.value
    assert type(exc) is error
    assert (exc.message, str(exc), exc.field_errors) == (message, message, fields)
