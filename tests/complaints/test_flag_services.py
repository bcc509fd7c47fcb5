"""The flag services called directly (complaints/services/flags.py), on the real database.

Priority, chase, 投诉升级, 外部投诉, 有理由投诉 and a fault ruling's 有理由投诉: what each writes
(read back from the database), its audit row in full, the time it stores (the `now` given, or
the clock when none is), and each refusal word for word with nothing stored.

The clock is stopped at CLOCK; GIVEN is another instant, passed as `now=`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import ActorKind, Complaint
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.complaints.helpers import bring_to
from tests.conftest import GOOD_REPLY, NOW
from tests.unchanged import nothing_changed

CLOCK = NOW + timedelta(hours=5)
GIVEN = NOW + timedelta(hours=1, minutes=7)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(CLOCK, tick=False)


@pytest.fixture
def people(alice, bob, carol, nobody, sam):
    return {"alice": alice, "bob": bob, "carol": carol, "nobody": nobody, "sam": sam}


@pytest.fixture
def in_state(make_complaint, alice, bob, org, now):
    """A new complaint (unit A once dispatched) brought to `state` through the services."""

    def make(state: str, **overrides):
        complaint = make_complaint(**overrides)
        return bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)

    return make


def at_and_kwargs(explicit: bool):
    """The time the service must store, and the keyword arguments that ask for it."""
    return (GIVEN, {"now": GIVEN}) if explicit else (CLOCK, {})


def audit_row(complaint: Complaint, transition: str) -> dict:
    """The complaint's one audit row of `transition`, as the fields a reader checks."""
    rows = list(complaint.transitions.filter(transition=transition))
    assert len(rows) == 1, rows
    row = rows[0]
    return {
        "at": row.at,
        "actor": row.actor_id,
        "actor_kind": row.actor_kind,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": row.reason,
        "details": row.details,
    }


def staff_row(by, *, at, state, reason="", details=None, from_state=None) -> dict:
    return {
        "at": at,
        "actor": by.pk,
        "actor_kind": ActorKind.STAFF,
        "from_state": from_state or state,
        "to_state": state,
        "reason": reason,
        "details": details or {},
    }


def refused(kind, message, call, *, field=None):
    """`call` raises exactly `kind` with `message` (naming `field`), and stores nothing."""
    with nothing_changed(), pytest.raises(kind) as refusal:
        call()
    assert type(refusal.value) is kind
    assert refusal.value.message == message
    assert str(refusal.value) == message
    assert refusal.value.field_errors == ({field: message} if field else {})


NOT_STAFF = "您不是系统内的员工，不能处理投诉。"
NO_RIGHT = "您没有权限执行此操作。"
NO_TICKET = "工单不存在。"


def stale(complaint: Complaint, change) -> Complaint:
    """`complaint` as the caller read it, after someone else changed it with `change(fresh)`."""
    change(Complaint.objects.get(pk=complaint.pk))
    return complaint


# ---------------------------------------------------------------- complaint_set_priority


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_set_priority_to_urgent_keeps_the_reason_and_the_moment(in_state, alice, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state("verifying")
    assert complaint.priority == "normal" and complaint.urgent_reasons == []

    result = services.complaint_set_priority(
        complaint=complaint, by=alice, priority="urgent", reason="  客户情绪激动  ", **when
    )

    complaint.refresh_from_db()
    assert result.priority == complaint.priority == "urgent"
    assert complaint.urgent_reasons == ["人工设定：客户情绪激动"]
    assert complaint.urgent_since == at
    assert audit_row(complaint, "set_priority") == staff_row(
        alice,
        at=at,
        state="verifying",
        reason="客户情绪激动",
        details={"priority": "urgent", "previous": "normal"},
    )


def test_set_priority_back_to_normal_clears_the_reasons(in_state, alice, sam):
    complaint = in_state("verifying")
    services.complaint_set_priority(
        complaint=complaint, by=alice, priority="urgent", reason="客户情绪激动", now=NOW
    )
    complaint.refresh_from_db()

    services.complaint_set_priority(
        complaint=complaint, by=sam, priority="normal", reason="已安抚", now=GIVEN
    )

    complaint.refresh_from_db()
    assert complaint.priority == "normal"
    assert complaint.urgent_reasons == []
    assert complaint.urgent_since is None
    last = complaint.transitions.filter(transition="set_priority").latest("pk")
    assert (last.at, last.actor, last.actor_kind, last.reason, last.details) == (
        GIVEN,
        sam,
        ActorKind.STAFF,
        "已安抚",
        {"priority": "normal", "previous": "urgent"},
    )


def test_set_priority_on_a_complaint_someone_just_dispatched(in_state, alice, org, now):
    """The caller read it 受理; it is 核实 now: the flag is no transition, it still applies."""
    complaint = in_state("accepted")
    complaint = stale(
        complaint,
        lambda fresh: services.complaint_dispatch(
            complaint=fresh, unit=org["a"], by=alice, now=now
        ),
    )
    services.complaint_set_priority(
        complaint=complaint, by=alice, priority="urgent", reason="客户情绪激动", now=GIVEN
    )
    complaint.refresh_from_db()
    assert complaint.priority == "urgent" and complaint.status == "verifying"


SET_PRIORITY_REFUSALS = [
    # who, state, priority, reason, exception, message, field
    ("alice", "verifying", "top", "x", InvalidInput, "优先级无效。", "priority"),
    ("alice", "verifying", "urgent", "  ", InvalidInput, "请填写调整原因。", "reason"),
    ("alice", "closed", "urgent", "x", Conflict, "工单已闭环，不能调整优先级。", None),
    ("alice", "rejected", "urgent", "x", Conflict, "工单已不予受理，不能调整优先级。", None),
    ("alice", "verifying", "normal", "x", Conflict, "优先级没有变化。", None),
    ("nobody", "verifying", "urgent", "x", NotAllowed, NOT_STAFF, None),
    ("carol", "verifying", "urgent", "x", NotFound, NO_TICKET, None),
    ("bob", "verifying", "urgent", "x", NotAllowed, NO_RIGHT, None),
]


@pytest.mark.parametrize(
    ("who", "state", "priority", "reason", "kind", "message", "field"), SET_PRIORITY_REFUSALS
)
def test_set_priority_refusals(
    in_state, people, who, state, priority, reason, kind, message, field
):
    complaint = in_state(state)
    refused(
        kind,
        message,
        lambda: services.complaint_set_priority(
            complaint=complaint, by=people[who], priority=priority, reason=reason, now=GIVEN
        ),
        field=field,
    )


# ---------------------------------------------------------------- complaint_chase


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_a_first_chase_is_counted_and_audited(in_state, alice, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state("verifying")

    result = services.complaint_chase(complaint=complaint, by=alice, note="客户来电催促", **when)

    complaint.refresh_from_db()
    assert result.chase_count == complaint.chase_count == 1
    assert complaint.priority == "normal"
    assert audit_row(complaint, "chase") == staff_row(
        alice, at=at, state="verifying", reason="客户来电催促", details={"chase_count": 1}
    )


def test_a_chase_without_a_note_by_the_customer(in_state):
    complaint = in_state("verifying")
    services.complaint_chase(complaint=complaint, by=services.CUSTOMER, now=GIVEN)
    complaint.refresh_from_db()
    assert audit_row(complaint, "chase") == {
        "at": GIVEN,
        "actor": None,
        "actor_kind": ActorKind.CUSTOMER,
        "from_state": "verifying",
        "to_state": "verifying",
        "reason": "",
        "details": {"chase_count": 1},
    }


def test_the_second_chase_makes_it_urgent(in_state, alice):
    complaint = in_state("verifying")
    services.complaint_chase(complaint=complaint, by=alice, now=NOW)
    complaint.refresh_from_db()
    services.complaint_chase(complaint=complaint, by=alice, note="又催", now=GIVEN)
    complaint.refresh_from_db()
    assert complaint.chase_count == 2 and complaint.priority == "urgent"
    assert complaint.urgent_since == GIVEN
    last = complaint.transitions.filter(transition="chase").latest("pk")
    assert (last.at, last.reason, last.details) == (GIVEN, "又催", {"chase_count": 2})


def test_a_chase_of_a_complaint_someone_just_replied_to(in_state, alice, bob):
    complaint = in_state("verifying")
    complaint = stale(
        complaint,
        lambda fresh: services.complaint_reply(complaint=fresh, by=bob, reply=GOOD_REPLY, now=NOW),
    )
    services.complaint_chase(complaint=complaint, by=alice, now=GIVEN)
    complaint.refresh_from_db()
    assert complaint.chase_count == 1 and complaint.status == "answered"


CHASE_REFUSALS = [
    ("alice", "closed", Conflict, "工单已闭环，无需催促。"),
    ("alice", "withdrawn", Conflict, "工单已撤诉，无需催促。"),
    ("nobody", "verifying", NotAllowed, NOT_STAFF),
    ("carol", "verifying", NotFound, NO_TICKET),
    ("bob", "verifying", NotAllowed, NO_RIGHT),
]


@pytest.mark.parametrize(("who", "state", "kind", "message"), CHASE_REFUSALS)
def test_chase_refusals(in_state, people, who, state, kind, message):
    complaint = in_state(state)
    refused(
        kind,
        message,
        lambda: services.complaint_chase(complaint=complaint, by=people[who], now=GIVEN),
    )


# ---------------------------------------------------------------- complaint_mark_escalated


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_mark_escalated_makes_it_urgent(in_state, alice, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state("verifying")

    result = services.complaint_mark_escalated(
        complaint=complaint, by=alice, reason=" 客户已向消协投诉 ", **when
    )

    complaint.refresh_from_db()
    assert result.is_escalated and complaint.is_escalated
    assert complaint.priority == "urgent"
    assert complaint.urgent_reasons == ["投诉升级"]
    assert complaint.urgent_since == at
    assert audit_row(complaint, "escalate") == staff_row(
        alice, at=at, state="verifying", reason="客户已向消协投诉"
    )


def test_mark_escalated_on_a_complaint_someone_just_replied_to(in_state, alice, bob):
    complaint = in_state("verifying")
    complaint = stale(
        complaint,
        lambda fresh: services.complaint_reply(complaint=fresh, by=bob, reply=GOOD_REPLY, now=NOW),
    )
    services.complaint_mark_escalated(complaint=complaint, by=alice, reason="消协", now=GIVEN)
    complaint.refresh_from_db()
    assert complaint.is_escalated and complaint.status == "answered"


def test_mark_escalated_twice_is_refused(in_state, alice):
    complaint = in_state("verifying")
    services.complaint_mark_escalated(complaint=complaint, by=alice, reason="消协", now=NOW)
    complaint.refresh_from_db()
    refused(
        Conflict,
        "工单已标记为投诉升级。",
        lambda: services.complaint_mark_escalated(
            complaint=complaint, by=alice, reason="又一次", now=GIVEN
        ),
    )


ESCALATE_REFUSALS = [
    ("alice", " ", InvalidInput, "请填写升级情况。", "reason"),
    ("nobody", "消协", NotAllowed, NOT_STAFF, None),
    ("carol", "消协", NotFound, NO_TICKET, None),
    ("bob", "消协", NotAllowed, NO_RIGHT, None),
]


@pytest.mark.parametrize(("who", "reason", "kind", "message", "field"), ESCALATE_REFUSALS)
def test_mark_escalated_refusals(in_state, people, who, reason, kind, message, field):
    complaint = in_state("verifying")
    refused(
        kind,
        message,
        lambda: services.complaint_mark_escalated(
            complaint=complaint, by=people[who], reason=reason, now=GIVEN
        ),
        field=field,
    )


# ---------------------------------------------------------------- complaint_mark_external


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_mark_external_makes_it_urgent(in_state, alice, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state("verifying")

    result = services.complaint_mark_external(
        complaint=complaint, by=alice, reason=" 12305转来 ", **when
    )

    complaint.refresh_from_db()
    assert result.is_external is True and complaint.is_external is True
    assert complaint.priority == "urgent"
    assert complaint.urgent_reasons == ["外部投诉"]
    assert complaint.urgent_since == at
    assert audit_row(complaint, "mark_external") == staff_row(
        alice, at=at, state="verifying", reason="12305转来"
    )


def test_mark_external_again_changes_nothing(in_state, alice):
    complaint = in_state("verifying")
    services.complaint_mark_external(complaint=complaint, by=alice, reason="12305", now=NOW)
    complaint.refresh_from_db()
    with nothing_changed():
        result = services.complaint_mark_external(
            complaint=complaint, by=alice, reason="再次转来", now=GIVEN
        )
    assert result.pk == complaint.pk and result.is_external


def test_mark_external_on_a_complaint_someone_just_dispatched(in_state, alice, org, now):
    complaint = in_state("accepted")
    complaint = stale(
        complaint,
        lambda fresh: services.complaint_dispatch(
            complaint=fresh, unit=org["a"], by=alice, now=now
        ),
    )
    services.complaint_mark_external(complaint=complaint, by=alice, reason="12305", now=GIVEN)
    complaint.refresh_from_db()
    assert complaint.is_external and complaint.status == "verifying"


EXTERNAL_REFUSALS = [
    ("alice", "", InvalidInput, "请填写外部投诉来源。", "reason"),
    ("nobody", "12305", NotAllowed, NOT_STAFF, None),
    ("carol", "12305", NotFound, NO_TICKET, None),
    ("bob", "12305", NotAllowed, NO_RIGHT, None),
]


@pytest.mark.parametrize(("who", "reason", "kind", "message", "field"), EXTERNAL_REFUSALS)
def test_mark_external_refusals(in_state, people, who, reason, kind, message, field):
    complaint = in_state("verifying")
    refused(
        kind,
        message,
        lambda: services.complaint_mark_external(
            complaint=complaint, by=people[who], reason=reason, now=GIVEN
        ),
        field=field,
    )


def test_mark_external_refuses_the_customer(in_state):
    complaint = in_state("verifying")
    refused(
        NotAllowed,
        "客户不能执行此操作。",
        lambda: services.complaint_mark_external(
            complaint=complaint, by=services.CUSTOMER, reason="12305", now=GIVEN
        ),
    )


# ---------------------------------------------------------------- complaint_set_justified

# facts confirmed, our fault, obstructed → 有理由投诉 (seed 001 §(二)5)
JUSTIFIED_TABLE = [
    (True, True, False, True),
    (True, False, False, False),
    (False, True, False, False),
    (False, False, False, False),
    (False, False, True, True),
    (True, True, True, True),
]


@pytest.mark.parametrize(("facts", "fault", "obstructed", "justified"), JUSTIFIED_TABLE)
def test_set_justified_follows_the_rule(in_state, sam, facts, fault, obstructed, justified):
    complaint = in_state("verifying")
    assert complaint.justified is None

    result = services.complaint_set_justified(
        complaint=complaint,
        by=sam,
        facts_confirmed=facts,
        our_fault=fault,
        obstructed=obstructed,
        reason=" 核实记录 ",
        now=GIVEN,
    )

    complaint.refresh_from_db()
    assert result.justified is justified and complaint.justified is justified
    assert audit_row(complaint, "set_justified") == staff_row(
        sam,
        at=GIVEN,
        state="verifying",
        reason="核实记录",
        details={
            "justified": justified,
            "facts_confirmed": facts,
            "our_fault": fault,
            "obstructed": obstructed,
        },
    )


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
@pytest.mark.parametrize("state", ["answered", "follow_up", "closed"])
def test_set_justified_after_verification(in_state, alice, state, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state(state)
    assert complaint.justified is True  # the unit's reply said facts confirmed, our fault

    services.complaint_set_justified(
        complaint=complaint,
        by=alice,
        facts_confirmed=True,
        our_fault=False,
        obstructed=False,
        reason="复核：非我方责任",
        **when,
    )

    complaint.refresh_from_db()
    assert complaint.justified is False
    assert audit_row(complaint, "set_justified") == staff_row(
        alice,
        at=at,
        state=state,
        reason="复核：非我方责任",
        details={
            "justified": False,
            "facts_confirmed": True,
            "our_fault": False,
            "obstructed": False,
        },
    )


def test_set_justified_on_a_complaint_someone_just_replied_to(in_state, alice, bob):
    complaint = in_state("verifying")
    complaint = stale(
        complaint,
        lambda fresh: services.complaint_reply(complaint=fresh, by=bob, reply=GOOD_REPLY, now=NOW),
    )
    services.complaint_set_justified(
        complaint=complaint,
        by=alice,
        facts_confirmed=False,
        our_fault=False,
        obstructed=False,
        reason="复核",
        now=GIVEN,
    )
    complaint.refresh_from_db()
    assert complaint.justified is False and complaint.status == "answered"


NOT_VERIFIED = "工单尚未核实，不能判定是否有理由。"
RULED = "工单已判责，有理由投诉随判责结果确定；如需更改，请重新判责。"

SET_JUSTIFIED_REFUSALS = [
    ("alice", "verifying", " ", InvalidInput, "请填写判定依据。", "reason"),
    ("alice", "accepted", "依据", Conflict, NOT_VERIFIED, None),
    ("alice", "rejected", "依据", Conflict, NOT_VERIFIED, None),
    ("alice", "withdrawn", "依据", Conflict, NOT_VERIFIED, None),
    ("nobody", "verifying", "依据", NotAllowed, NOT_STAFF, None),
    ("carol", "verifying", "依据", NotFound, NO_TICKET, None),
    ("bob", "verifying", "依据", NotAllowed, NO_RIGHT, None),
]


@pytest.mark.parametrize(
    ("who", "state", "reason", "kind", "message", "field"), SET_JUSTIFIED_REFUSALS
)
def test_set_justified_refusals(in_state, people, who, state, reason, kind, message, field):
    complaint = in_state(state)
    refused(
        kind,
        message,
        lambda: services.complaint_set_justified(
            complaint=complaint,
            by=people[who],
            facts_confirmed=True,
            our_fault=True,
            obstructed=False,
            reason=reason,
            now=GIVEN,
        ),
        field=field,
    )


def test_set_justified_refuses_the_customer_and_the_logged_out(in_state):
    complaint = in_state("verifying")
    for by, message in ((services.CUSTOMER, "客户不能执行此操作。"), (None, "请先登录。")):
        refused(
            NotAllowed,
            message,
            lambda by=by: services.complaint_set_justified(
                complaint=complaint,
                by=by,
                facts_confirmed=True,
                our_fault=True,
                obstructed=False,
                reason="依据",
                now=GIVEN,
            ),
        )


def test_after_a_ruling_set_justified_is_refused(in_state, alice):
    complaint = in_state("answered")
    services.complaint_apply_ruling(
        complaint=complaint, by=alice, justified=False, reason="判责：无责", now=NOW
    )
    complaint.refresh_from_db()
    assert services.complaint_is_ruled(complaint)
    refused(
        Conflict,
        RULED,
        lambda: services.complaint_set_justified(
            complaint=complaint,
            by=alice,
            facts_confirmed=True,
            our_fault=True,
            obstructed=False,
            reason="依据",
            now=GIVEN,
        ),
    )


# ---------------------------------------------------------------- complaint_apply_ruling


@pytest.mark.parametrize("explicit", [True, False], ids=["now given", "clock"])
def test_apply_ruling_sets_justified_and_audits_the_ruling(in_state, sam, explicit):
    at, when = at_and_kwargs(explicit)
    complaint = in_state("answered")
    assert complaint.justified is True
    assert not services.complaint_is_ruled(complaint)

    result = services.complaint_apply_ruling(
        complaint=complaint,
        by=sam,
        justified=False,
        reason="第三方原因",
        ruling_id=7,
        verdict="not_at_fault",
        **when,
    )

    complaint.refresh_from_db()
    assert result.justified is False and complaint.justified is False
    assert audit_row(complaint, "ruling") == staff_row(
        sam,
        at=at,
        state="answered",
        reason="第三方原因",
        details={
            "justified": False,
            "previous": True,
            "ruling_id": 7,
            "verdict": "not_at_fault",
        },
    )
    assert services.complaint_is_ruled(complaint)


def test_apply_ruling_on_an_undecided_complaint(in_state, alice):
    complaint = in_state("verifying")
    services.complaint_apply_ruling(
        complaint=complaint, by=alice, justified=True, reason="有责", now=GIVEN
    )
    complaint.refresh_from_db()
    assert complaint.justified is True
    assert audit_row(complaint, "ruling")["details"] == {"justified": True, "previous": None}


def test_apply_ruling_refuses_anyone_but_an_active_user(in_state, alice):
    complaint = in_state("answered")
    alice.is_active = False
    alice.save()
    for by in (services.CUSTOMER, services.SYSTEM, alice):
        refused(
            NotAllowed,
            "判责只能由员工办理。",
            lambda by=by: services.complaint_apply_ruling(
                complaint=complaint, by=by, justified=False, reason="无责", now=GIVEN
            ),
        )
