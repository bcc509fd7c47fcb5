"""The 处理人 inside a unit (issue 20 §2): the choice as a table, the services on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.assignment_rules import Choice, NoOneReason, StaffLoad, choose_handler
from complaints.models import Complaint, ComplaintTransition, Role, StaffProfile, Unit
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kernel.models import Notification
from tests.complaints.helpers import bring_to
from tests.conftest import _user, new_complaint

T1 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def s(user_id, load=0, *, on_duty=True, last=None):
    return StaffLoad(user_id=user_id, on_duty=on_duty, open_load=load, last_assigned_at=last)


@pytest.mark.parametrize(
    ("staff", "cap", "expected"),
    [
        pytest.param([], 30, Choice(None, NoOneReason.NOBODY_ON_DUTY), id="no-staff"),
        pytest.param(
            [s(1, on_duty=False), s(2, on_duty=False)],
            30,
            Choice(None, NoOneReason.NOBODY_ON_DUTY),
            id="nobody-on-duty",
        ),
        pytest.param([s(1, 3), s(2, 1), s(3, 2)], 30, Choice(2), id="least-loaded-first"),
        pytest.param([s(1, 0, on_duty=False), s(2, 5)], 30, Choice(2), id="off-duty-skipped"),
        pytest.param([s(1, 2), s(2, 1)], 2, Choice(2), id="at-cap-skipped"),
        pytest.param(
            [s(1, 2), s(2, 3)], 2, Choice(None, NoOneReason.ALL_AT_CAP), id="all-at-or-over-cap"
        ),
        pytest.param([s(1, 0)], 0, Choice(None, NoOneReason.ALL_AT_CAP), id="cap-zero"),
        pytest.param([s(1, 1), s(2, 1)], 1, Choice(None, NoOneReason.ALL_AT_CAP), id="cap-1-full"),
        pytest.param([s(3, 1, last=T2), s(2, 1, last=T1)], 30, Choice(2), id="tie-least-recent"),
        pytest.param([s(3, 0), s(2, 0)], 30, Choice(2), id="tie-by-id"),
        pytest.param([s(5, 1, last=T1), s(4, 1, last=T1)], 30, Choice(4), id="tie-same-time-id"),
        pytest.param(
            [s(1, 1, on_duty=False), s(2, 4), s(3, 4, last=T1), s(4, 4, last=T2)],
            5,
            Choice(2),
            id="holder-of-none-recent-first",
        ),
    ],
)
def test_it_chooses_the_handler(staff, cap, expected):
    assert choose_handler(staff, cap=cap) == expected


def test_it_round_robins_equal_staff():
    """Least-loaded-first with the tie rule hands out complaints in turn."""
    staff = {1: s(1), 2: s(2), 3: s(3)}
    picked = []
    for minute in range(6):
        choice = choose_handler(list(staff.values()), cap=30)
        picked.append(choice.user_id)
        old = staff[choice.user_id]
        staff[choice.user_id] = s(
            old.user_id, old.open_load + 1, last=T1 + timedelta(minutes=minute)
        )
    assert picked == [1, 2, 3, 1, 2, 3]


# --- Services -----------------------------------------------------------------------------


@pytest.fixture
def dan(org):
    """Second branch staff member of branch A."""
    return _user("dan", Role.BRANCH, org["a"])


@pytest.fixture
def head(org):
    """Head of branch A, branch staff of it."""
    user = _user("hana", Role.BRANCH, org["a"])
    org["a"].head = user
    org["a"].save()
    return user


@pytest.fixture
def verifying(make_complaint, alice, bob, org, now):
    def make(**overrides):
        complaint = make_complaint(**overrides)
        return bring_to(
            "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
        )

    return make


def _audits(complaint, name):
    return list(ComplaintTransition.objects.filter(complaint=complaint, transition=name))


def test_it_lets_unit_staff_take(verifying, bob, now):
    complaint = verifying()
    services.complaint_take(complaint=complaint, by=bob, now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id == bob.pk
    (row,) = _audits(complaint, "take")
    assert row.actor == bob and row.details["handler"] == bob.pk
    assert row.from_state == row.to_state == "verifying"


def test_it_refuses_taking_a_colleagues_complaint(verifying, bob, dan, now):
    complaint = verifying()
    services.complaint_take(complaint=complaint, by=bob, now=now)
    with pytest.raises(Conflict):
        services.complaint_take(complaint=complaint, by=dan, now=now)
    with pytest.raises(Conflict):
        services.complaint_take(complaint=complaint, by=bob, now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id == bob.pk
    assert len(_audits(complaint, "take")) == 1


def test_it_answers_another_units_staff_not_found(verifying, carol, now):
    complaint = verifying()
    with pytest.raises(NotFound):
        services.complaint_take(complaint=complaint, by=carol, now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id is None


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_it_refuses_take_by_non_branch_staff(verifying, who, request, now):
    complaint = verifying()
    with pytest.raises(NotAllowed):
        services.complaint_take(complaint=complaint, by=request.getfixturevalue(who), now=now)


@pytest.mark.parametrize("state", ["closed", "withdrawn"])
def test_it_refuses_take_when_not_open(make_complaint, alice, bob, org, now, state):
    complaint = bring_to(
        state, make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with pytest.raises(Conflict):
        services.complaint_take(complaint=complaint, by=bob, now=now)


@pytest.mark.parametrize("who", ["alice", "sam", "head"])
def test_it_lets_head_agent_supervisor_assign(verifying, bob, dan, who, request, now):
    by = request.getfixturevalue(who)
    complaint = verifying()
    services.complaint_assign_handler(complaint=complaint, handler=bob, by=by, now=now)
    services.complaint_assign_handler(
        complaint=complaint, handler=dan, by=by, reason="均衡负荷", now=now
    )
    complaint.refresh_from_db()
    assert complaint.handler_id == dan.pk
    rows = _audits(complaint, "assign_handler")
    assert [r.details["handler"] for r in rows] == [bob.pk, dan.pk]
    assert rows[1].details["previous"] == bob.pk and rows[1].reason == "均衡负荷"
    services.complaint_assign_handler(complaint=complaint, handler=None, by=by, now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id is None
    (row,) = _audits(complaint, "unassign_handler")
    assert row.details["previous"] == dan.pk


def test_it_refuses_assign_by_plain_staff(verifying, bob, dan, now):
    complaint = verifying()
    with pytest.raises(NotAllowed):
        services.complaint_assign_handler(complaint=complaint, handler=dan, by=bob, now=now)
    complaint.refresh_from_db()
    assert complaint.handler_id is None


def test_it_refuses_a_handler_outside_the_unit(verifying, alice, carol, sam, nobody, now):
    complaint = verifying()
    for handler in (carol, sam, alice, nobody):
        with pytest.raises(InvalidInput) as raised:
            services.complaint_assign_handler(
                complaint=complaint, handler=handler, by=alice, now=now
            )
        assert "handler" in raised.value.field_errors
    complaint.refresh_from_db()
    assert complaint.handler_id is None
    assert not _audits(complaint, "assign_handler")


def test_it_refuses_an_inactive_handler(verifying, alice, dan, now):
    dan.is_active = False
    dan.save()
    with pytest.raises(InvalidInput):
        services.complaint_assign_handler(complaint=verifying(), handler=dan, by=alice, now=now)


def test_it_refuses_assign_before_dispatch(make_complaint, alice, bob, now):
    complaint = make_complaint()
    with pytest.raises(Conflict):
        services.complaint_assign_handler(complaint=complaint, handler=bob, by=alice, now=now)


def test_it_refuses_no_change(verifying, alice, bob, now):
    complaint = verifying()
    with pytest.raises(Conflict):
        services.complaint_assign_handler(complaint=complaint, handler=None, by=alice, now=now)


def test_it_clears_the_handler_when_reassigned(verifying, alice, bob, org, now):
    complaint = verifying()
    services.complaint_take(complaint=complaint, by=bob, now=now)
    complaint.refresh_from_db()
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=alice, reason="派错网点", now=now
    )
    complaint.refresh_from_db()
    assert complaint.handler_id is None
    (row,) = _audits(complaint, "reassign")
    assert row.details["previous_handler"] == bob.pk


def test_it_tells_the_handler_when_given_a_complaint(verifying, alice, dan, now):
    complaint = verifying()
    services.complaint_assign_handler(complaint=complaint, handler=dan, by=alice, now=now)
    assert Notification.objects.filter(
        complaint_id=complaint.pk, template="staff_handler_assigned", user_id=dan.pk
    ).exists()


# --- Automatic assignment -------------------------------------------------------------------


@pytest.fixture
def auto(org):
    org["a"].auto_assign = True
    org["a"].assign_cap = 2
    org["a"].save()
    return org["a"]


def _dispatch(make_complaint, alice, unit, now, n=1):
    out = []
    for i in range(n):
        c = make_complaint(tracking_no=f"SF55500000{i:02d}", phone=f"1390000{i:04d}")
        out.append(
            services.complaint_dispatch(complaint=c, unit=unit, by=alice, now=now + timedelta(i))
        )
    return out


def test_it_assigns_automatically_in_turn(make_complaint, alice, bob, dan, auto, now):
    complaints = _dispatch(make_complaint, alice, auto, now, n=4)
    handlers = [Complaint.objects.get(pk=c.pk).handler_id for c in complaints]
    assert handlers == [bob.pk, dan.pk, bob.pk, dan.pk]
    row = _audits(complaints[0], "auto_assign")[0]
    assert row.actor_kind == "system" and row.details["handler"] == bob.pk
    # The dispatch notice went to the handler alone.
    notified = set(
        Notification.objects.filter(
            complaint_id=complaints[0].pk, template="staff_assigned"
        ).values_list("user_id", flat=True)
    )
    assert notified == {bob.pk}


def test_it_skips_staff_off_duty(make_complaint, alice, bob, dan, auto, now):
    services.staff_set_on_duty(person=bob, on_duty=False, by=bob)
    complaints = _dispatch(make_complaint, alice, auto, now, n=2)
    assert [Complaint.objects.get(pk=c.pk).handler_id for c in complaints] == [dan.pk, dan.pk]


def test_it_leaves_unassigned_and_tells_the_head_at_cap(
    make_complaint, alice, bob, dan, head, auto, now
):
    services.staff_set_on_duty(person=head, on_duty=False, by=head)
    complaints = _dispatch(make_complaint, alice, auto, now, n=5)
    last = Complaint.objects.get(pk=complaints[-1].pk)
    assert last.handler_id is None
    (row,) = _audits(last, "auto_assign_none")
    assert row.details["why"] == "all_at_cap"
    told = Notification.objects.filter(complaint_id=last.pk, template="staff_unassigned")
    assert set(told.values_list("user_id", flat=True)) == {head.pk}
    # Everyone else in the unit still hears about the unassigned complaint.
    assert Notification.objects.filter(
        complaint_id=last.pk, template="staff_assigned", user_id=bob.pk
    ).exists()


def test_it_tells_the_supervisors_without_a_head(make_complaint, alice, bob, sam, auto, now):
    services.staff_set_on_duty(person=bob, on_duty=False, by=bob)
    (complaint,) = _dispatch(make_complaint, alice, auto, now)
    (row,) = _audits(complaint, "auto_assign_none")
    assert row.details["why"] == "nobody_on_duty"
    told = Notification.objects.filter(complaint_id=complaint.pk, template="staff_unassigned")
    assert set(told.values_list("user_id", flat=True)) == {sam.pk}


def test_it_assigns_on_reassign_to_an_auto_unit(make_complaint, alice, carol, org, now):
    org["b"].auto_assign = True
    org["b"].save()
    complaint = services.complaint_dispatch(
        complaint=make_complaint(), unit=org["a"], by=alice, now=now
    )
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=alice, reason="派错网点", now=now
    )
    complaint.refresh_from_db()
    assert complaint.handler_id == carol.pk


def test_it_does_nothing_for_a_manual_unit(make_complaint, alice, bob, org, now):
    (complaint,) = _dispatch(make_complaint, alice, org["a"], now)
    assert Complaint.objects.get(pk=complaint.pk).handler_id is None
    assert not ComplaintTransition.objects.filter(
        complaint=complaint, transition__startswith="auto_assign"
    ).exists()


def test_it_counts_loads_in_one_query(make_complaint, alice, bob, dan, head, org, now):
    for c in _dispatch(make_complaint, alice, org["a"], now, n=3):
        services.complaint_take(complaint=c, by=bob, now=now)
    with CaptureQueriesContext(connection) as queries:
        rows = services.staff_loads(org["a"].pk, now=now + timedelta(days=30))
    assert len(queries) == 1
    by_name = {r["user__username"]: r for r in rows}
    assert by_name["bob"]["open_load"] == 3 and by_name["bob"]["overdue"] == 3
    assert by_name["dan"]["open_load"] == 0 and by_name["hana"]["open_load"] == 0


def test_it_does_not_count_closed_complaints(make_complaint, alice, bob, org, now):
    complaint = make_complaint()
    complaint = bring_to(
        "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    services.complaint_take(complaint=complaint, by=bob, now=now)
    services.complaint_withdraw(complaint=complaint, by=alice, reason="撤诉", now=now)
    rows = services.staff_loads(org["a"].pk, now=now)
    assert rows[0]["open_load"] == 0


# --- On duty and the unit's switch -------------------------------------------------------------


def test_it_lets_self_and_head_switch_duty(bob, dan, head):
    services.staff_set_on_duty(person=bob, on_duty=False, by=bob)
    assert not StaffProfile.objects.get(user=bob).on_duty
    services.staff_set_on_duty(person=bob, on_duty=True, by=head)
    assert StaffProfile.objects.get(user=bob).on_duty
    with pytest.raises(NotAllowed):
        services.staff_set_on_duty(person=bob, on_duty=False, by=dan)
    assert StaffProfile.objects.get(user=bob).on_duty


def test_it_refuses_duty_for_non_branch(alice, sam):
    with pytest.raises(NotAllowed):
        services.staff_set_on_duty(person=alice, on_duty=False, by=alice)


def test_it_lets_only_the_head_switch_auto_assign(org, bob, head, sam):
    services.unit_set_auto_assign(unit=org["a"], auto_assign=True, cap=5, by=head)
    org["a"].refresh_from_db()
    assert org["a"].auto_assign and org["a"].assign_cap == 5
    for by in (bob, sam):
        with pytest.raises(NotAllowed):
            services.unit_set_auto_assign(unit=org["a"], auto_assign=False, cap=9, by=by)
    for cap in (0, 1000, "5", True):
        with pytest.raises(InvalidInput):
            services.unit_set_auto_assign(unit=org["a"], auto_assign=False, cap=cap, by=head)
    org["a"].refresh_from_db()
    assert org["a"].auto_assign and org["a"].assign_cap == 5


def test_each_switch_is_in_the_admin_history_of_the_person_or_the_unit(org, bob, head):
    """Who took a clerk off duty, or changed the unit's switch, explains a passed-over clerk."""
    services.staff_set_on_duty(person=bob, on_duty=False, by=head)
    services.staff_set_on_duty(person=bob, on_duty=False, by=head)  # no change: no row
    services.staff_set_on_duty(person=bob, on_duty=True, by=bob)
    services.unit_set_auto_assign(unit=org["a"], auto_assign=True, cap=5, by=head)
    profile = StaffProfile.objects.get(user=bob)
    rows = LogEntry.objects.order_by("id")
    assert [(r.user, r.object_id, r.change_message) for r in rows] == [
        (head, str(profile.pk), "离岗"),
        (bob, str(profile.pk), "在岗"),
        (head, str(org["a"].pk), "自动分配：开，每人在办上限 5"),
    ]
    assert rows[2].content_type.model_class() is Unit


# --- The demo ------------------------------------------------------------------------------


def test_the_demo_has_assigned_complaints_and_an_auto_assigning_unit(settings, db):
    import io

    from django.core.management import call_command

    from complaints.models import Unit

    settings.DEBUG = True  # seed_demo refuses production settings (public passwords)
    call_command("seed_demo", stdout=io.StringIO())
    east = Unit.objects.get(code="B-EAST-1")
    assert east.auto_assign and not Unit.objects.get(code="B-WEST-1").auto_assign
    staff = StaffProfile.objects.filter(unit=east, role=Role.BRANCH)
    assert staff.count() == 3 and staff.filter(on_duty=False).count() == 1
    handlers = set(
        Complaint.objects.filter(unit=east, handler__isnull=False).values_list(
            "handler__username", flat=True
        )
    )
    assert handlers == {"branch_a", "branch_a2"}  # branch_a3 is off duty
    assert Complaint.objects.filter(unit__code="B-WEST-1", handler__isnull=False).exists()


# --- Two at once, on real connections ---------------------------------------------------------


def _in_thread(fn):
    def run():
        try:
            return fn()
        except Exception as exc:
            return exc
        finally:
            connection.close()  # this thread's connection

    return run


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_clerks_taking_at_once_win(org, alice, bob, now):
    dan = _user("dan", Role.BRANCH, org["a"])
    created, _ = services.complaint_create(data=new_complaint(), by=alice, now=now)
    complaint = services.complaint_dispatch(complaint=created, unit=org["a"], by=alice, now=now)
    start = threading.Barrier(2)

    def take(by):
        def go():
            copy = Complaint.objects.get(pk=complaint.pk)  # both read "no handler"
            start.wait()
            return services.complaint_take(complaint=copy, by=by, now=now)

        return _in_thread(go)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: f(), [take(bob), take(dan)]))
    wins = [r for r in results if isinstance(r, Complaint)]
    assert len(wins) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    assert Complaint.objects.get(pk=complaint.pk).handler_id == wins[0].handler_id
    assert ComplaintTransition.objects.filter(complaint=complaint, transition="take").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_cap_when_two_complaints_arrive_at_once(org, alice, bob, now):
    """The unit row's lock: each automatic assignment sees the other's load."""
    org["a"].auto_assign = True
    org["a"].assign_cap = 1
    org["a"].save()
    made = [
        services.complaint_create(
            data=new_complaint(tracking_no=f"SF66600000{i:02d}", phone=f"1370000{i:04d}"),
            by=alice,
            now=now,
        )[0]
        for i in range(2)
    ]
    start = threading.Barrier(2)

    def dispatch(complaint):
        def go():
            start.wait()
            return services.complaint_dispatch(
                complaint=complaint, unit=org["a"], by=alice, now=now
            )

        return _in_thread(go)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: f(), [dispatch(c) for c in made]))
    assert all(isinstance(r, Complaint) for r in results), results
    handlers = sorted(
        Complaint.objects.filter(pk__in=[c.pk for c in made]).values_list("handler_id", flat=True),
        key=lambda h: (h is not None, h),
    )
    assert handlers == [None, bob.pk]
    assert ComplaintTransition.objects.filter(transition="auto_assign_none").count() == 1
