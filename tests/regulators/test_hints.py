"""The console line "客户可于X年X月X日起向12305申诉", from the complaint's own record."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.template import Context, Template

from kernel.clock import WorkCalendar
from regulators.hints import appeal_hint
from tests.complaints.helpers import bring_to
from tests.regulators.conftest import sh

OFFICIAL = WorkCalendar()


@pytest.mark.parametrize(
    ("today", "hint"),
    [
        # Accepted Monday 16 Nov 2026 (10:00 Shanghai): the 7 days end at 24:00 on 23 Nov.
        (date(2026, 11, 17), "客户可于2026年11月24日起向12305申诉"),
        (date(2026, 11, 23), "客户可于2026年11月24日起向12305申诉"),
        (date(2026, 11, 24), "客户现已可向12305申诉"),
    ],
)
def test_it_tells_the_agent_from_when_an_unanswered_customer_may_appeal(
    make_complaint, today, hint
):
    assert appeal_hint(make_complaint(), today=today, calendar=OFFICIAL) == hint


def test_it_says_so_when_the_customer_was_satisfied(make_complaint, alice, bob, org, now):
    complaint = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    assert (
        appeal_hint(complaint, today=date(2026, 11, 30), calendar=OFFICIAL)
        == "客户已满意，不符合申诉条件"
    )


def test_it_renders_in_templates(make_complaint, now):
    complaint = make_complaint()
    with time_machine.travel(sh(2026, 11, 18), tick=False):
        template = Template("{% load appeals %}{% appeal_hint c %}")
        rendered = template.render(Context({"c": complaint}))
    assert rendered == "客户可于2026年11月24日起向12305申诉"
