"""The escalation ladder with a 处理人 (issue 20 §2): the handler, then the unit head, then the
supervisors — through the beat's own sweep task, as tests/escalation/test_every_timer.py.

Branch A has two staff, bob and dan; hank heads it (a manager account), sam supervises, alice
took the complaint (its owner). Times: the default normal policy (first response 24 h, warning
at 80 %, level 1 two hours and level 2 a day after the breach).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from complaints import services
from complaints.models import Role
from escalation import tasks as sla_tasks
from escalation.models import SlaEvent
from kernel.models import Notification
from tests.conftest import NOW, _user, new_complaint


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


WARNING = at("2026-11-16 21:12")
BREACH = at("2026-11-17 02:00")
LEVEL_1 = at("2026-11-17 04:00")
LEVEL_2 = at("2026-11-18 02:00")


@pytest.fixture
def people(org, alice, bob, sam):
    hank = get_user_model().objects.create_user(username="hank", email="hank@example.invalid")
    org["a"].head = hank
    org["a"].save()
    dan = _user("dan", Role.BRANCH, org["a"])
    return {"alice": alice, "bob": bob, "dan": dan, "sam": sam, "hank": hank}


def _dispatched(org, alice):
    complaint, _code = services.complaint_create(data=new_complaint(), by=alice, now=NOW)
    return services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=NOW)


def _heard(complaint, kind: str, level: int = 0) -> set[str]:
    (event,) = SlaEvent.objects.filter(
        complaint_id=complaint.pk, timer="first_response", kind=kind, level=level
    )
    return set(
        Notification.objects.filter(event_id=event.pk).values_list("user__username", flat=True)
    )


def _sweep(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        sla_tasks.sla_sweep()


def test_it_tells_the_handler_first_then_the_head_then_supervisors(org, people):
    complaint = _dispatched(org, people["alice"])
    services.complaint_take(complaint=complaint, by=people["dan"], now=NOW)

    _sweep(WARNING)
    assert _heard(complaint, "warning") == {"dan"}
    _sweep(BREACH)
    assert _heard(complaint, "breach") == {"dan", "alice"}  # the owner hears of a breach too
    _sweep(LEVEL_1)
    assert _heard(complaint, "escalation", 1) == {"hank"}
    _sweep(LEVEL_2)
    assert _heard(complaint, "escalation", 2) == {"sam"}


def test_it_tells_the_whole_unit_while_nobody_handles_it(org, people):
    complaint = _dispatched(org, people["alice"])
    _sweep(WARNING)
    assert _heard(complaint, "warning") == {"bob", "dan"}


def test_it_tells_the_new_handler_after_a_reassignment_inside_the_unit(org, people):
    complaint = _dispatched(org, people["alice"])
    services.complaint_take(complaint=complaint, by=people["dan"], now=NOW)
    services.complaint_assign_handler(
        complaint=complaint, handler=people["bob"], by=people["alice"], now=NOW
    )
    _sweep(WARNING)
    assert _heard(complaint, "warning") == {"bob"}


def test_it_tells_the_unit_when_the_handler_left(org, people):
    complaint = _dispatched(org, people["alice"])
    services.complaint_take(complaint=complaint, by=people["dan"], now=NOW)
    people["dan"].is_active = False
    people["dan"].save()
    _sweep(WARNING)
    assert _heard(complaint, "warning") == {"bob"}
