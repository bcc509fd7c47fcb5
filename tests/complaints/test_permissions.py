"""Who may do what (SPEC §1): checked in the services, whatever the caller."""

from __future__ import annotations

import pytest

from complaints import services
from complaints.models import Complaint, ComplaintTransition, PersonalDataAccess
from kernel.errors import NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY


@pytest.fixture
def at_branch_a(make_complaint, alice, bob, org, now):
    return bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )


def test_it_lets_branch_staff_see_only_their_units_complaints(at_branch_a, bob, carol, alice, sam):
    assert list(Complaint.objects.visible_to(bob)) == [at_branch_a]
    assert list(Complaint.objects.visible_to(carol)) == []
    assert list(Complaint.objects.visible_to(alice)) == [at_branch_a]
    assert list(Complaint.objects.visible_to(sam)) == [at_branch_a]


def test_it_answers_another_units_complaint_as_not_found(at_branch_a, carol, now):
    with pytest.raises(NotFound):
        services.get_for_staff(ticket_no=at_branch_a.ticket_no, by=carol)
    with pytest.raises(NotFound):
        services.complaint_reply(complaint=at_branch_a, by=carol, reply=GOOD_REPLY, now=now)
    with pytest.raises(NotFound):
        services.complaint_log_contact(
            complaint=at_branch_a, by=carol, method="phone", summary="联系客户", now=now
        )
    at_branch_a.refresh_from_db()
    assert at_branch_a.status == "verifying"


def test_it_lets_the_units_staff_reply(at_branch_a, bob, now):
    services.complaint_reply(complaint=at_branch_a, by=bob, reply=GOOD_REPLY, now=now)
    at_branch_a.refresh_from_db()
    assert at_branch_a.status == "answered"


@pytest.mark.parametrize(
    ("persona", "action"),
    [
        pytest.param("bob", "dispatch", id="branch-cannot-dispatch"),
        pytest.param("bob", "reject", id="branch-cannot-reject"),
        pytest.param("bob", "withdraw", id="branch-cannot-register-withdrawal"),
        pytest.param("bob", "set_priority", id="branch-cannot-override-priority"),
        pytest.param("alice", "reply", id="agent-cannot-write-the-units-reply"),
        pytest.param("pat", "dispatch", id="partner-cannot-dispatch"),
        pytest.param("nobody", "dispatch", id="user-without-role-cannot-act"),
        pytest.param("customer", "dispatch", id="customer-cannot-dispatch"),
        pytest.param("customer", "reply", id="customer-cannot-reply"),
    ],
)
def test_it_refuses_actions_outside_the_role(persona, action, request, make_complaint, org, now):
    by = "customer" if persona == "customer" else request.getfixturevalue(persona)
    complaint = make_complaint()
    if action == "reply":
        complaint = services.complaint_dispatch(
            complaint=complaint, unit=org["a"], by=request.getfixturevalue("sam"), now=now
        )
    before = ComplaintTransition.objects.count()
    calls = {
        "dispatch": lambda: services.complaint_dispatch(
            complaint=complaint, unit=org["a"], by=by, now=now
        ),
        "reject": lambda: services.complaint_reject(
            complaint=complaint, by=by, reason="x", now=now
        ),
        "withdraw": lambda: services.complaint_withdraw(
            complaint=complaint, by=by, reason="x", now=now
        ),
        "set_priority": lambda: services.complaint_set_priority(
            complaint=complaint, by=by, priority="urgent", reason="x", now=now
        ),
        "reply": lambda: services.complaint_reply(
            complaint=complaint, by=by, reply=GOOD_REPLY, now=now
        ),
    }
    with pytest.raises((NotAllowed, NotFound)):
        calls[action]()
    assert ComplaintTransition.objects.count() == before


def test_it_lets_a_supervisor_do_what_an_agent_does(make_complaint, sam, org, now):
    complaint = services.complaint_dispatch(
        complaint=make_complaint(), unit=org["a"], by=sam, now=now
    )
    assert complaint.status == "verifying"


def test_it_lets_the_customer_withdraw_their_own_complaint(make_complaint, now):
    complaint = make_complaint()
    services.complaint_withdraw(complaint=complaint, by="customer", reason="已解决", now=now)
    row = complaint.transitions.last()
    assert (row.actor, row.actor_kind, row.to_state) == (None, "customer", "withdrawn")


def test_it_refuses_inactive_staff(make_complaint, alice, org, now):
    alice.is_active = False
    alice.save()
    with pytest.raises(NotAllowed):
        services.complaint_dispatch(complaint=make_complaint(), unit=org["a"], by=alice, now=now)


def test_it_records_every_view_of_full_personal_data(at_branch_a, bob, carol, now):
    data = services.complaint_reveal_personal_data(
        complaint=at_branch_a, by=bob, purpose="联系客户", now=now
    )
    assert data == {"complainant_name": "测试客户", "phone": "13800000000"}
    assert PersonalDataAccess.objects.filter(complaint=at_branch_a, user=bob).count() == 1
    with pytest.raises(NotFound):
        services.complaint_reveal_personal_data(complaint=at_branch_a, by=carol, now=now)
    assert PersonalDataAccess.objects.filter(user=carol).count() == 0


def test_it_finds_a_customers_ticket_only_with_the_right_code(alice, org, now):
    from tests.conftest import new_complaint

    complaint, code = services.complaint_create(data=new_complaint(), by="customer", now=now)
    assert services.get_for_customer(ticket_no=complaint.ticket_no, access_code=code) == complaint
    assert (
        services.get_for_customer(ticket_no=complaint.ticket_no, access_code=code.lower())
        == complaint
    )
    for wrong in ("WRONGCODE1", "", None):
        with pytest.raises(NotFound, match="工单不存在"):
            services.get_for_customer(ticket_no=complaint.ticket_no, access_code=wrong)
    with pytest.raises(NotFound, match="工单不存在"):
        services.get_for_customer(ticket_no="TS20990101000001", access_code=code)
