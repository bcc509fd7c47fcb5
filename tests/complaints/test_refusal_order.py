"""Who may not act is refused before their input is read.

Every write service checks the person first (the right, and for branch staff the unit), then
the input, then locks the row. So a person without the right who sends a wrong value learns
that they may not act — never what is wrong with the value — and another unit's clerk is told
the ticket does not exist, exactly as with a valid request. Each row is one service called
with one invalid input: the right person gets the input error (so the input is really
invalid), everyone else gets their refusal, word for word, and nothing is stored.
"""

from __future__ import annotations

import pytest

from complaints import services
from kernel.errors import InvalidInput, NotAllowed, NotFound
from tests.unchanged import nothing_changed

EMPTY_REPLY = services.ReplyInput(basic_facts="", handling="", result="")

# service, the invalid input, the field it names, who holds the right, who does not
# (alice: agent; bob: branch clerk of the complaint's unit; pat: an API partner).
ROWS = [
    ("complaint_dispatch", {"unit": None}, "unit", "alice", "bob"),
    ("complaint_reassign", {"unit": "b", "reason": " "}, "reason", "alice", "bob"),
    ("complaint_reply", {"reply": EMPTY_REPLY}, "basic_facts", "bob", "alice"),
    ("complaint_reject", {"reason": ""}, "reason", "alice", "bob"),
    ("complaint_withdraw", {"reason": ""}, "reason", "alice", "bob"),
    ("complaint_set_priority", {"priority": "top", "reason": "x"}, "priority", "alice", "bob"),
    ("complaint_set_category", {"category": "other!", "reason": "x"}, "category", "alice", "bob"),
    ("complaint_mark_escalated", {"reason": ""}, "reason", "alice", "bob"),
    ("complaint_mark_external", {"reason": ""}, "reason", "alice", "bob"),
    ("complaint_reinstate_for_appeal", {"reason": ""}, "reason", "alice", "bob"),
    (
        "complaint_set_justified",
        {"facts_confirmed": True, "our_fault": True, "obstructed": False, "reason": ""},
        "reason",
        "alice",
        "bob",
    ),
    ("complaint_record_follow_up", {"outcome": "happy"}, "outcome", "alice", "bob"),
    ("complaint_reopen", {"reason": ""}, "reason", "alice", "bob"),
    ("complaint_pause", {"reason": ""}, "reason", "bob", "pat"),
    ("complaint_log_contact", {"method": "fax", "summary": "x"}, "method", "bob", "pat"),
    ("complaint_add_note", {"text": "  "}, "text", "bob", "pat"),
]
IDS = [row[0] for row in ROWS]


@pytest.fixture
def people(alice, bob, carol, pat, nobody):
    return {"alice": alice, "bob": bob, "carol": carol, "pat": pat, "nobody": nobody}


@pytest.fixture
def verifying(make_complaint, alice, org, now):
    """A complaint at unit A (网点甲), waiting for its reply."""
    complaint = make_complaint()
    return services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)


def _call(service, invalid, *, complaint, by, org, now):
    kwargs = dict(invalid)
    if kwargs.get("unit") == "b":
        kwargs["unit"] = org["b"]
    return getattr(services, service)(complaint=complaint, by=by, now=now, **kwargs)


def _refused(service, invalid, *, by, verifying, org, now):
    with nothing_changed(), pytest.raises((NotAllowed, NotFound, InvalidInput)) as refusal:
        _call(service, invalid, complaint=verifying, by=by, org=org, now=now)
    return refusal.value


@pytest.mark.parametrize(("service", "invalid", "field", "holder", "lacking"), ROWS, ids=IDS)
def test_the_right_person_is_told_what_is_wrong_with_the_input(
    service, invalid, field, holder, lacking, people, verifying, org, now
):
    refusal = _refused(service, invalid, by=people[holder], verifying=verifying, org=org, now=now)
    assert type(refusal) is InvalidInput
    assert field in refusal.field_errors


@pytest.mark.parametrize(("service", "invalid", "field", "holder", "lacking"), ROWS, ids=IDS)
def test_a_person_without_the_right_is_refused_before_the_input_is_read(
    service, invalid, field, holder, lacking, people, verifying, org, now
):
    refusal = _refused(service, invalid, by=people[lacking], verifying=verifying, org=org, now=now)
    assert type(refusal) is NotAllowed
    assert refusal.message == "您没有权限执行此操作。"
    assert refusal.field_errors == {}


@pytest.mark.parametrize(("service", "invalid", "field", "holder", "lacking"), ROWS, ids=IDS)
def test_another_units_clerk_finds_no_such_ticket(
    service, invalid, field, holder, lacking, people, verifying, org, now
):
    refusal = _refused(service, invalid, by=people["carol"], verifying=verifying, org=org, now=now)
    assert type(refusal) is NotFound
    assert refusal.message == "工单不存在。"


@pytest.mark.parametrize(("service", "invalid", "field", "holder", "lacking"), ROWS, ids=IDS)
def test_a_user_who_is_not_staff_is_told_so(
    service, invalid, field, holder, lacking, people, verifying, org, now
):
    refusal = _refused(service, invalid, by=people["nobody"], verifying=verifying, org=org, now=now)
    assert type(refusal) is NotAllowed
    assert refusal.message == "您不是系统内的员工，不能处理投诉。"


@pytest.mark.parametrize(("service", "invalid", "field", "holder", "lacking"), ROWS, ids=IDS)
def test_the_customer_may_not_act_as_staff(
    service, invalid, field, holder, lacking, verifying, org, now
):
    refusal = _refused(
        service, invalid, by=services.CUSTOMER, verifying=verifying, org=org, now=now
    )
    if service == "complaint_withdraw":
        # A customer action: the customer passes the check, the input does not.
        assert type(refusal) is InvalidInput
        assert field in refusal.field_errors
    else:
        assert type(refusal) is NotAllowed
        assert refusal.message == "客户不能执行此操作。"
