"""complaints.services.bulk: one action on many complaints, each checked and audited alone."""

from __future__ import annotations

import pytest

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Note
from complaints.services import bulk
from kernel.errors import InvalidInput, NotAllowed
from kernel.models import Notice
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_complaint):
    return [make_complaint(tracking_no=f"SF{i:010d}", phone=f"1390000{i:04d}") for i in range(3)]


def test_it_dispatches_each_complaint_in_its_own_transaction_with_its_own_audit_row(
    alice, org, three
):
    # The middle one is already at a unit: refused (conflict), the others done.
    services.complaint_dispatch(complaint=three[1], unit=org["b"], by=alice)
    result = bulk.complaints_bulk(
        by=alice, action="dispatch", tickets=[c.ticket_no for c in three], unit="A"
    )
    assert [i.ok for i in result.items] == [True, False, True]
    assert result.refused[0].code == "conflict" and "状态" in result.refused[0].message
    assert result.done[0].message == "已下发至网点甲。"
    for c in (three[0], three[2]):
        assert Complaint.objects.get(pk=c.pk).unit == org["a"]
        assert ComplaintTransition.objects.filter(complaint=c, transition="dispatch").count() == 1
    assert Complaint.objects.get(pk=three[1].pk).unit == org["b"]


def test_it_refuses_per_complaint_what_the_user_may_not_do(bob, alice, org, three):
    services.complaint_dispatch(complaint=three[0], unit=org["a"], by=alice)
    services.complaint_dispatch(complaint=three[1], unit=org["b"], by=alice)
    result = bulk.complaints_bulk(
        by=bob,
        action="note",
        tickets=[three[0].ticket_no, three[1].ticket_no, "TS00000000000000"],
        text="已电话联系客户",
    )
    # Another unit's complaint is "not found", as on its ticket page.
    assert [(i.ok, i.code) for i in result.items] == [
        (True, "done"),
        (False, "not_found"),
        (False, "not_found"),
    ]
    assert Note.objects.filter(complaint=three[0], by=bob).count() == 1
    assert not Note.objects.filter(complaint=three[1]).exists()


def test_branch_staff_cannot_dispatch_and_nothing_changes(bob, alice, org, three):
    services.complaint_dispatch(complaint=three[0], unit=org["a"], by=alice)
    with nothing_changed():
        result = bulk.complaints_bulk(
            by=bob, action="reassign", tickets=[three[0].ticket_no], unit="B", reason="不归本网点"
        )
    assert result.items[0].code == "forbidden"


def test_it_marks_the_users_notices_about_the_selected_complaints_read(alice, bob, three, now):
    mine = Notice.objects.create(
        user=alice, complaint_id=three[0].pk, title="新工单", created_at=now
    )
    other = Notice.objects.create(
        user=alice, complaint_id=three[1].pk, title="新工单", created_at=now
    )
    bobs = Notice.objects.create(user=bob, complaint_id=three[0].pk, title="新工单", created_at=now)
    result = bulk.complaints_bulk(
        by=alice, action="mark_read", tickets=[three[0].ticket_no], now=now
    )
    assert result.done[0].message == "1条通知已标为已读。"
    mine.refresh_from_db(), other.refresh_from_db(), bobs.refresh_from_db()
    assert mine.read_at == now and other.read_at is None and bobs.read_at is None


def test_it_assigns_a_person_through_the_assignment_service(alice, bob, carol, org, three):
    for c in three[:2]:
        services.complaint_dispatch(complaint=c, unit=org["a"], by=alice)
    result = bulk.complaints_bulk(
        by=alice, action="assign", tickets=[c.ticket_no for c in three], handler=bob.pk
    )
    assert [i.ok for i in result.items] == [True, True, False]  # the last is at no unit
    assert Complaint.objects.get(pk=three[0].pk).handler == bob
    refused = bulk.complaints_bulk(
        by=alice, action="assign", tickets=[three[0].ticket_no], handler=carol.pk
    )
    assert not refused.items[0].ok  # carol works for another unit
    assert Complaint.objects.get(pk=three[0].pk).handler == bob


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action": "delete"}, "action"),
        ({"action": "dispatch", "unit": "NOPE"}, "unit"),
        ({"action": "reassign", "unit": "B", "reason": "  "}, "reason"),
        ({"action": "note", "text": ""}, "text"),
        ({"action": "assign", "handler": "x"}, "handler"),
        ({"action": "note", "text": "x", "tickets": []}, "tickets"),
        ({"action": "note", "text": "x", "tickets": [f"T{i}" for i in range(101)]}, "tickets"),
    ],
)
def test_a_wrong_request_changes_nothing(alice, three, params, field):
    params = {"tickets": [c.ticket_no for c in three], **params}
    with nothing_changed(), pytest.raises(InvalidInput) as caught:
        bulk.complaints_bulk(by=alice, **params)
    assert field in caught.value.field_errors


def test_someone_without_a_work_list_is_refused(pat, nobody, three):
    for user in (pat, nobody):
        with nothing_changed(), pytest.raises(NotAllowed):
            bulk.complaints_bulk(by=user, action="mark_read", tickets=[three[0].ticket_no])
