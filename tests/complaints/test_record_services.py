"""What staff write down without moving the complaint (complaints/services/records.py), at the
service: a contact with the customer (SPEC §4: the first one that reached them is the first
response), an internal note, and a feature's event on the audit trail.

Each success reads back every field written and the audit row; each refusal is a valid call by
the wrong person, in the wrong state or with one bad field: the exact error, its message, the
field it names, and nothing changed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import ComplaintTransition, Contact, Note
from kernel.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def _assert_refused(caught, error, message: str, fields: dict[str, str]) -> None:
    """The refusal `pytest.raises` caught: exactly this class, message and field errors."""
    exc = caught.value
    assert type(exc) is error
    assert (exc.message, str(exc), exc.field_errors) == (message, message, fields)


def _stale(complaint, *, agent, unit, now):
    """The complaint as a page read it, then dispatched by someone else before the write."""
    stale = type(complaint).objects.get(pk=complaint.pk)
    services.complaint_dispatch(complaint=complaint, unit=unit, by=agent, now=now)
    return stale


# --- Contacts ----------------------------------------------------------------------------------


def test_a_contact_that_reached_the_customer_is_stored_audited_and_is_the_first_response(
    alice, make_complaint, now
):
    complaint = make_complaint(unit_code="A")
    when = now + HOUR

    contact = services.complaint_log_contact(
        complaint=complaint,
        by=alice,
        method="phone",
        summary="  已致电客户说明延误原因  ",
        at=when - 10 * MINUTE,
        now=when,
    )

    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.complaint_id, contact.by, contact.at) == (
        complaint.pk,
        alice,
        when - 10 * MINUTE,
    )
    assert (contact.method, contact.summary, contact.reached) == (
        "phone",
        "已致电客户说明延误原因",
        True,
    )
    complaint.refresh_from_db()
    assert complaint.first_response_at == when - 10 * MINUTE
    audit = complaint.transitions.get(transition="contact")
    assert (audit.actor, audit.actor_kind, audit.at, audit.reason) == (alice, "staff", when, "")
    assert audit.from_state == audit.to_state == complaint.status == "accepted"
    assert audit.details == {"method": "phone", "reached": True}


def test_a_contact_that_did_not_reach_the_customer_is_no_first_response(
    bob, alice, org, make_complaint, now
):
    complaint = make_complaint(unit_code="A")
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    when = now + 2 * HOUR

    contact = services.complaint_log_contact(
        complaint=complaint, by=bob, method="sms", summary="短信未回复", reached=False, now=when
    )

    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.by, contact.at, contact.method, contact.summary, contact.reached) == (
        bob,
        when,  # no `at`: the contact is now
        "sms",
        "短信未回复",
        False,
    )
    complaint.refresh_from_db()
    assert complaint.first_response_at is None
    audit = complaint.transitions.get(transition="contact")
    assert (audit.actor, audit.at, audit.from_state, audit.to_state) == (
        bob,
        when,
        "verifying",
        "verifying",
    )
    assert audit.details == {"method": "sms", "reached": False}


def test_without_now_the_contact_and_its_audit_are_at_the_clock(
    alice, make_complaint, now, time_machine
):
    complaint = make_complaint(unit_code="A")
    clock = now + 3 * HOUR
    time_machine.move_to(clock, tick=False)

    contact = services.complaint_log_contact(
        complaint=complaint, by=alice, method="visit", summary="上门致歉"
    )

    assert Contact.objects.get(pk=contact.pk).at == clock
    assert complaint.transitions.get(transition="contact").at == clock


def test_only_the_first_reached_contact_is_the_first_response(alice, make_complaint, now):
    complaint = make_complaint(unit_code="A")
    for minutes in (10, 20):
        services.complaint_log_contact(
            complaint=complaint,
            by=alice,
            method="phone",
            summary=f"第{minutes}分钟电话",
            now=now + minutes * MINUTE,
        )

    complaint.refresh_from_db()
    assert complaint.first_response_at == now + 10 * MINUTE


def test_a_contact_up_to_five_minutes_ahead_of_now_is_accepted(alice, make_complaint, now):
    """Clocks of phones and PCs differ a little; five minutes ahead is still "now"."""
    complaint = make_complaint(unit_code="A")

    contact = services.complaint_log_contact(
        complaint=complaint,
        by=alice,
        method="other",
        summary="微信联系",
        at=now + HOUR + 5 * MINUTE,
        now=now + HOUR,
    )

    assert Contact.objects.get(pk=contact.pk).at == now + HOUR + 5 * MINUTE


def test_a_contact_logged_on_a_ticket_someone_moved_meanwhile_is_still_recorded(
    alice, org, make_complaint, now
):
    """A contact does not move the complaint: a dispatch since the page was read is no conflict."""
    complaint = make_complaint(unit_code="A")
    stale = _stale(complaint, agent=alice, unit=org["a"], now=now)

    services.complaint_log_contact(
        complaint=stale, by=alice, method="phone", summary="电话联系", now=now + HOUR
    )

    audit = complaint.transitions.get(transition="contact")
    assert (audit.from_state, audit.to_state) == ("verifying", "verifying")


CONTACT = {"method": "phone", "summary": "已电话联系客户"}


@pytest.mark.parametrize(
    ("persona", "state", "body", "error", "message", "fields"),
    [
        pytest.param(
            "carol", "open", {}, NotFound, "工单不存在。", {}, id="another-unit-not-found"
        ),
        pytest.param(
            "carol",
            "open",
            {"method": "fax"},
            NotFound,
            "工单不存在。",
            {},
            id="another-unit-not-found-before-the-input-is-checked",
        ),
        pytest.param(
            "nobody",
            "open",
            {},
            NotAllowed,
            "您不是系统内的员工，不能处理投诉。",
            {},
            id="no-staff-profile",
        ),
        pytest.param(
            "pat", "open", {}, NotAllowed, "您没有权限执行此操作。", {}, id="partner-no-right"
        ),
        pytest.param("customer", "open", {}, NotAllowed, "客户不能执行此操作。", {}, id="customer"),
        pytest.param(
            "alice",
            "open",
            {"method": "fax"},
            InvalidInput,
            "联系方式无效。",
            {"method": "联系方式无效。"},
            id="unknown-method",
        ),
        pytest.param(
            "alice",
            "open",
            {"summary": " \n "},
            InvalidInput,
            "请填写联系内容。",
            {"summary": "请填写联系内容。"},
            id="blank-summary",
        ),
        pytest.param(
            "alice",
            "open",
            {"summary": None},
            InvalidInput,
            "请填写联系内容。",
            {"summary": "请填写联系内容。"},
            id="no-summary",
        ),
        pytest.param(
            "alice",
            "open",
            {"at": "5min+1s"},
            InvalidInput,
            "联系时间不能晚于现在。",
            {"at": "联系时间不能晚于现在。"},
            id="more-than-five-minutes-ahead",
        ),
        pytest.param(
            "alice",
            "closed",
            {},
            Conflict,
            "工单已闭环，不能再记录联系。",
            {},
            id="closed",
        ),
        pytest.param(
            "alice",
            "rejected",
            {},
            Conflict,
            "工单已不予受理，不能再记录联系。",
            {},
            id="rejected",
        ),
        pytest.param(
            "alice",
            "withdrawn",
            {},
            Conflict,
            "工单已撤诉，不能再记录联系。",
            {},
            id="withdrawn",
        ),
    ],
)
def test_contact_refusals_change_nothing(
    request, org, alice, bob, make_complaint, now, persona, state, body, error, message, fields
):
    complaint = make_complaint(unit_code="A")
    if state != "open":
        complaint = bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)
    user = persona if persona == "customer" else request.getfixturevalue(persona)
    when = now + HOUR
    args = {**CONTACT, **body}
    if args.get("at") == "5min+1s":
        args["at"] = when + 5 * MINUTE + timedelta(seconds=1)

    with nothing_changed(), pytest.raises(DomainError) as caught:
        services.complaint_log_contact(complaint=complaint, by=user, now=when, **args)

    _assert_refused(caught, error, message, fields)


# --- Notes -------------------------------------------------------------------------------------


def test_a_note_is_stored_as_written_by_its_author_at_now(bob, alice, org, make_complaint, now):
    complaint = make_complaint(unit_code="A")
    complaint = services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    when = now + 5 * HOUR

    note = services.complaint_add_note(
        complaint=complaint, by=bob, text="  客户要求下午送货  ", now=when
    )

    note = Note.objects.get(pk=note.pk)
    assert (note.complaint_id, note.by, note.at, note.text) == (
        complaint.pk,
        bob,
        when,
        "客户要求下午送货",
    )
    # A note moves nothing and is no event of the complaint's trail.
    assert not complaint.transitions.filter(at=when).exists()


def test_without_now_a_note_is_at_the_clock(alice, make_complaint, now, time_machine):
    complaint = make_complaint(unit_code="A")
    clock = now + 7 * HOUR
    time_machine.move_to(clock, tick=False)

    note = services.complaint_add_note(complaint=complaint, by=alice, text="待客户回电")

    assert Note.objects.get(pk=note.pk).at == clock


def test_a_note_on_a_ticket_someone_moved_meanwhile_is_still_written(
    alice, org, make_complaint, now
):
    complaint = make_complaint(unit_code="A")
    stale = _stale(complaint, agent=alice, unit=org["a"], now=now)

    note = services.complaint_add_note(complaint=stale, by=alice, text="已转网点", now=now + HOUR)

    assert Note.objects.get(pk=note.pk).text == "已转网点"


@pytest.mark.parametrize(
    ("persona", "text", "error", "message", "fields"),
    [
        pytest.param("carol", "备注", NotFound, "工单不存在。", {}, id="another-unit"),
        pytest.param(
            "carol", "  ", NotFound, "工单不存在。", {}, id="another-unit-before-the-input"
        ),
        pytest.param(
            "nobody", "备注", NotAllowed, "您不是系统内的员工，不能处理投诉。", {}, id="no-staff"
        ),
        pytest.param("pat", "备注", NotAllowed, "您没有权限执行此操作。", {}, id="partner"),
        pytest.param("customer", "备注", NotAllowed, "客户不能执行此操作。", {}, id="customer"),
        pytest.param(
            "alice",
            "\t ",
            InvalidInput,
            "请填写备注内容。",
            {"text": "请填写备注内容。"},
            id="blank-text",
        ),
        pytest.param(
            "alice",
            None,
            InvalidInput,
            "请填写备注内容。",
            {"text": "请填写备注内容。"},
            id="no-text",
        ),
    ],
)
def test_note_refusals_change_nothing(
    request, make_complaint, now, persona, text, error, message, fields
):
    complaint = make_complaint(unit_code="A")
    user = persona if persona == "customer" else request.getfixturevalue(persona)

    with nothing_changed(), pytest.raises(DomainError) as caught:
        services.complaint_add_note(complaint=complaint, by=user, text=text, now=now + HOUR)

    _assert_refused(caught, error, message, fields)


# --- Features' events --------------------------------------------------------------------------


def test_an_event_is_audited_with_its_reason_details_and_the_current_state(
    alice, org, make_complaint, now
):
    complaint = make_complaint(unit_code="A")
    stale = _stale(complaint, agent=alice, unit=org["a"], now=now)  # the row is verifying now
    when = now + 4 * HOUR

    row = services.complaint_log_event(
        complaint=stale,
        by=alice,
        event="dispute_filed",
        reason="网点申诉",
        now=when,
        ruling_id=7,
        unit="A",
    )

    row = ComplaintTransition.objects.get(pk=row.pk)
    assert (row.complaint_id, row.actor, row.actor_kind, row.at) == (
        complaint.pk,
        alice,
        "staff",
        when,
    )
    assert (row.transition, row.from_state, row.to_state, row.reason) == (
        "dispute_filed",
        "verifying",
        "verifying",
        "网点申诉",
    )
    assert row.details == {"ruling_id": 7, "unit": "A"}


def test_an_event_without_reason_details_or_now(alice, make_complaint, now, time_machine):
    complaint = make_complaint(unit_code="A")
    clock = now + 6 * HOUR
    time_machine.move_to(clock, tick=False)

    row = services.complaint_log_event(complaint=complaint, by=alice, event="dispute_upheld")

    row = ComplaintTransition.objects.get(pk=row.pk)
    assert (row.transition, row.reason, row.details, row.at) == ("dispute_upheld", "", {}, clock)


@pytest.mark.parametrize("who", ["customer", "system", "inactive"])
def test_only_an_active_user_logs_an_event(alice, make_complaint, now, who):
    complaint = make_complaint(unit_code="A")
    by = who
    if who == "inactive":
        alice.is_active = False
        alice.save()
        by = alice

    with nothing_changed(), pytest.raises(DomainError) as caught:
        services.complaint_log_event(
            complaint=complaint, by=by, event="dispute_filed", reason="申诉", now=now + HOUR
        )

    _assert_refused(caught, NotAllowed, "请先登录。", {})
