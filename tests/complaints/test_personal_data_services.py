"""Looking at a customer's personal data, recorded per look for the privacy audit (SPEC §9;
complaints/services/personal_data.py), at the service.

A reveal needs the right to see full personal data; recording a look at the file or a print-out
needs only the right to see the complaint. Either way the PersonalDataAccess row says who, when,
on which complaint and for what (at most 100 characters of it). A refusal writes no row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import PersonalDataAccess
from kernel.actors import CUSTOMER, SYSTEM
from kernel.errors import DomainError, NotAllowed, NotFound
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)

# The two ways of looking, by the service that records them.
LOOKS = {
    "reveal": services.complaint_reveal_personal_data,
    "record": services.complaint_record_access,
}


def _look(kind, **kwargs):
    return LOOKS[kind](**kwargs)


def _access(complaint):
    return [
        (a.complaint_id, a.user, a.at, a.purpose)
        for a in PersonalDataAccess.objects.filter(complaint=complaint)
    ]


def test_a_reveal_returns_the_full_name_and_phone_and_records_the_look(bob, make_complaint, now):
    complaint = make_complaint(unit_code="A", complainant_name="测试客户乙", phone="13800001234")
    when = now + 2 * HOUR

    data = services.complaint_reveal_personal_data(
        complaint=complaint, by=bob, purpose="联系客户", now=when
    )

    assert data == {"complainant_name": "测试客户乙", "phone": "13800001234"}
    assert _access(complaint) == [(complaint.pk, bob, when, "联系客户")]


def test_recording_a_look_at_the_file_writes_who_when_and_why(bob, make_complaint, now):
    complaint = make_complaint(unit_code="A")
    when = now + 3 * HOUR

    assert (
        services.complaint_record_access(complaint=complaint, by=bob, purpose="打印工单", now=when)
        is None
    )

    assert _access(complaint) == [(complaint.pk, bob, when, "打印工单")]


@pytest.mark.parametrize("kind", LOOKS)
def test_without_now_the_look_is_at_the_clock(kind, alice, make_complaint, now, time_machine):
    complaint = make_complaint(unit_code="A")
    clock = now + 5 * HOUR
    time_machine.move_to(clock, tick=False)

    _look(kind, complaint=complaint, by=alice, purpose="查看证据")

    assert _access(complaint) == [(complaint.pk, alice, clock, "查看证据")]


def test_a_reveal_without_a_purpose_records_an_empty_one(alice, make_complaint, now):
    complaint = make_complaint(unit_code="A")

    services.complaint_reveal_personal_data(complaint=complaint, by=alice, now=now + HOUR)

    assert _access(complaint) == [(complaint.pk, alice, now + HOUR, "")]


@pytest.mark.parametrize("kind", LOOKS)
@pytest.mark.parametrize(
    ("purpose", "stored"),
    [
        pytest.param("查" * 100, "查" * 100, id="100-characters-kept-whole"),
        pytest.param("查" * 100 + "看", "查" * 100, id="101-characters-cut-to-100"),
        pytest.param("甲" * 99 + "乙" * 50, "甲" * 99 + "乙", id="longer-cut-to-100"),
    ],
)
def test_the_purpose_is_kept_to_100_characters(kind, purpose, stored, alice, make_complaint, now):
    complaint = make_complaint(unit_code="A")

    _look(kind, complaint=complaint, by=alice, purpose=purpose, now=now + HOUR)

    assert _access(complaint) == [(complaint.pk, alice, now + HOUR, stored)]


@pytest.mark.parametrize(
    ("kind", "persona", "error", "message"),
    [
        pytest.param("reveal", "carol", NotFound, "工单不存在。", id="reveal-another-unit"),
        pytest.param("record", "carol", NotFound, "工单不存在。", id="record-another-unit"),
        pytest.param(
            "reveal",
            "nobody",
            NotAllowed,
            "您不是系统内的员工，不能处理投诉。",
            id="reveal-no-staff-profile",
        ),
        pytest.param(
            "record",
            "nobody",
            NotAllowed,
            "您不是系统内的员工，不能处理投诉。",
            id="record-no-staff-profile",
        ),
        pytest.param(
            "reveal", "pat", NotAllowed, "您没有权限执行此操作。", id="reveal-partner-no-right"
        ),
        pytest.param(
            "record", "pat", NotAllowed, "您没有权限执行此操作。", id="record-partner-no-right"
        ),
        pytest.param(
            "reveal", "customer", NotAllowed, "客户不能执行此操作。", id="reveal-customer"
        ),
        pytest.param(
            "record", "customer", NotAllowed, "客户不能执行此操作。", id="record-customer"
        ),
        # The system passes every check but is nobody to record: it never looks.
        pytest.param("reveal", "system", NotAllowed, "请先登录。", id="reveal-system"),
        pytest.param("record", "system", NotAllowed, "请先登录。", id="record-system"),
        pytest.param("reveal", "inactive", NotAllowed, "请先登录。", id="reveal-inactive"),
        pytest.param("record", "inactive", NotAllowed, "请先登录。", id="record-inactive"),
    ],
)
def test_refusals_record_nothing(request, make_complaint, now, kind, persona, error, message):
    complaint = make_complaint(unit_code="A")
    if persona == "inactive":
        user = request.getfixturevalue("bob")
        user.is_active = False
        user.save()
    else:
        user = {"customer": CUSTOMER, "system": SYSTEM}.get(persona) or (
            request.getfixturevalue(persona)
        )

    with nothing_changed(), pytest.raises(DomainError) as caught:
        _look(kind, complaint=complaint, by=user, purpose="查看", now=now + HOUR)

    exc = caught.value
    assert type(exc) is error
    assert (exc.message, str(exc), exc.field_errors) == (message, message, {})


def test_a_branch_user_who_may_see_the_complaint_but_not_reveal_records_a_look_only(
    bob, make_complaint, now
):
    """Recording a look needs only view_complaint: the page already links to what is looked at."""
    from django.contrib.auth.models import Permission

    complaint = make_complaint(unit_code="A")
    # A branch group without the reveal right (an installation may narrow the roles).
    bob.user_permissions.clear()
    for group in bob.groups.all():
        group.permissions.remove(Permission.objects.get(codename="view_personal_data"))
    bob = type(bob).objects.get(pk=bob.pk)  # no cached permissions

    with nothing_changed(), pytest.raises(NotAllowed) as caught:
        services.complaint_reveal_personal_data(complaint=complaint, by=bob, now=now + HOUR)
    assert caught.value.message == "您没有权限执行此操作。"

    services.complaint_record_access(
        complaint=complaint, by=bob, purpose="查看证据照片", now=now + HOUR
    )
    assert _access(complaint) == [(complaint.pk, bob, now + HOUR, "查看证据照片")]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("WRONGCODE2", id="a-wrong-code"),
        pytest.param("", id="no-code"),
        pytest.param(None, id="none"),
    ],
)
def test_a_customer_without_the_right_code_finds_no_ticket(make_complaint, code):
    """Answered exactly as an unknown ticket: the code, not the number, opens a ticket."""
    complaint = make_complaint(unit_code="A")

    for ticket_no in (complaint.ticket_no, "TS000000000000"):
        with pytest.raises(NotFound) as caught:
            services.get_for_customer(ticket_no=ticket_no, access_code=code)
        assert (caught.value.message, caught.value.field_errors) == ("工单不存在。", {})
