"""The branch work queue: the unit's open complaints, nearest deadline first, in ≤ 5 queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from complaints import services
from complaints.web.clock_display import nearest_clock

pytestmark = pytest.mark.django_db


def _dispatched(make_complaint, alice, unit, at, **fields):
    complaint = make_complaint(at=at, **fields)
    return services.complaint_dispatch(complaint=complaint, unit=unit, by=alice, now=at)


@pytest.mark.parametrize("count", [1, 30])
def test_it_renders_the_queue_in_at_most_five_queries(
    client_as, bob, alice, make_complaint, org, now, count, django_assert_max_num_queries
):
    for i in range(count):
        _dispatched(
            make_complaint,
            alice,
            org["a"],
            now - timedelta(hours=i),
            tracking_no=f"SF{i:010d}",
            phone=f"1380000{i:04d}",
        )
    client = client_as(bob)
    client.get(reverse("web:queue"))  # warm the session
    with django_assert_max_num_queries(5):
        response = client.get(reverse("web:queue"), {"size": 200})
    assert response.content.decode().count('class="queue-row') == count
    with django_assert_max_num_queries(5):
        client.get(reverse("web:queue_rows"), {"size": 200})


def test_it_shows_only_the_units_complaints_nearest_deadline_first(
    client_as, bob, alice, make_complaint, org, now
):
    later = _dispatched(make_complaint, alice, org["a"], now, tracking_no="SF0000000001")
    sooner = _dispatched(
        make_complaint,
        alice,
        org["a"],
        now - timedelta(hours=5),
        tracking_no="SF0000000002",
        phone="13800000002",
    )
    other = _dispatched(
        make_complaint, alice, org["b"], now, tracking_no="SF0000000003", phone="13800000003"
    )
    with time_machine.travel(now, tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert other.ticket_no not in page
    assert page.index(sooner.ticket_no) < page.index(later.ticket_no)
    assert "网点甲" in page


@pytest.mark.parametrize(
    ("hours_later", "level"),
    [
        (1, "ok"),  # 1 h of the 24 h first-response timer
        (20, "warning"),  # 83 % used: amber from 80 %
        (25, "breached"),  # past the deadline: red
    ],
)
def test_it_colours_rows_by_the_share_of_the_timer_used(
    client_as, bob, alice, make_complaint, org, now, hours_later, level
):
    complaint = _dispatched(make_complaint, alice, org["a"], now)
    at = now + timedelta(hours=hours_later)
    assert nearest_clock(complaint, now=at).level == level
    with time_machine.travel(at, tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert f'queue-row level-{level}" data-ticket="{complaint.ticket_no}"' in page


def test_it_flags_the_12305_risk_before_the_customer_may_appeal(
    client_as, bob, alice, make_complaint, org, now
):
    complaint = _dispatched(make_complaint, alice, org["a"], now)
    with time_machine.travel(now + timedelta(days=6), tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert "11月24日起可申诉" in page
    assert 'badge text-bg-danger">11月24日起可申诉' in page
    assert complaint.ticket_no in page


def test_it_shows_urgent_and_repeat_badges_and_masks_phones(
    client_as, bob, alice, make_complaint, org, now
):
    first = _dispatched(make_complaint, alice, org["a"], now, phone="13812345678")
    repeat = _dispatched(
        make_complaint,
        alice,
        org["a"],
        now,
        description="再不处理我就打12305投诉",
        phone="13812345678",
    )
    assert repeat.repeat_of_id == first.pk
    page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert "重复1" in page
    assert ">紧急<" in page
    assert "138****5678" in page and "13812345678" not in page


# --- The queue's colours are the SLA engine's --------------------------------------------------


def _set_policy(**fields):
    from escalation.models import SlaPolicy

    policy = SlaPolicy.objects.get(priority="normal", channel="", is_active=True)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()  # a trigger bumps the reference data version: every process reloads
    return policy


@pytest.mark.parametrize("hours_later", [10, 11.9, 12.1, 20, 23.9, 24.1])
def test_it_turns_amber_exactly_when_the_sweep_warns(
    client_as, bob, alice, make_complaint, org, now, hours_later
):
    from decimal import Decimal

    from escalation.models import SlaEvent
    from escalation.sweep import sla_sweep

    _set_policy(warning_share=Decimal("0.50"))  # warn at 12 h of the 24 h first response
    complaint = _dispatched(make_complaint, alice, org["a"], now)
    at = now + timedelta(hours=hours_later)
    sla_sweep(now=at)
    fired = set(
        SlaEvent.objects.filter(complaint=complaint, timer="first_response").values_list(
            "kind", flat=True
        )
    )
    with time_machine.travel(at, tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    level = "breached" if "breach" in fired else "warning" if "warning" in fired else "ok"
    assert f'queue-row level-{level}" data-ticket="{complaint.ticket_no}"' in page
    assert level == ("ok" if hours_later < 12 else "warning" if hours_later < 24 else "breached")


def test_it_colours_on_the_policys_business_hours_clock(
    client_as, bob, alice, make_complaint, org, now
):
    from datetime import time
    from decimal import Decimal

    # 10 h of opening time (08:30–18:30 every day), warning at 80 % = 8 h of opening time.
    _set_policy(
        clock_type="business_hours",
        first_response_hours=Decimal("10"),
        opens_at=time(8, 30),
        closes_at=time(18, 30),
    )
    complaint = _dispatched(make_complaint, alice, org["a"], now)  # Monday 10:00 Shanghai
    # Due Tuesday 10:00 (8.5 h on Monday, 1.5 h on Tuesday); warning Monday 18:00.
    assert complaint.first_response_due == now + timedelta(hours=24)
    monday_evening = now + timedelta(hours=8, minutes=10)  # 18:10: on a straight line 34 %
    clock = nearest_clock(complaint, now=monday_evening)
    assert (clock.timer, clock.level) == ("first_response", "warning")
    assert nearest_clock(complaint, now=now + timedelta(hours=7, minutes=50)).level == "ok"
    with time_machine.travel(monday_evening, tick=False):
        page = client_as(bob).get(reverse("web:queue")).content.decode()
    assert f'queue-row level-warning" data-ticket="{complaint.ticket_no}"' in page


def test_it_loads_the_policies_once_not_per_row(
    client_as, bob, alice, make_complaint, org, now, django_assert_max_num_queries
):
    from decimal import Decimal

    for i in range(5):
        _dispatched(
            make_complaint, alice, org["a"], now, tracking_no=f"SF{i:010d}", phone=f"1380000{i:04d}"
        )
    client = client_as(bob)
    client.get(reverse("web:queue"))
    _set_policy(warning_share=Decimal("0.70"))  # edited: this request reloads them, once
    # The page's 5, and the reload's 6: the phrase lists, the policies and their escalation
    # levels, the calendar's exceptions and years, the partners' webhook endpoints.
    with django_assert_max_num_queries(5 + 6):
        client.get(reverse("web:queue"))
    with django_assert_max_num_queries(5):
        client.get(reverse("web:queue"))


def test_it_colours_by_an_edited_policy_on_the_very_next_page(
    client_as, bob, alice, make_complaint, org, now
):
    """One cached copy of the policies for pages and submissions, reloaded on every change."""
    from decimal import Decimal

    complaint = _dispatched(make_complaint, alice, org["a"], now)  # 24 h first response
    client = client_as(bob)
    marker = f'data-ticket="{complaint.ticket_no}"'
    with time_machine.travel(now + timedelta(hours=10), tick=False):
        page = client.get(reverse("web:queue")).content.decode()
        assert f'queue-row level-ok" {marker}' in page
        _set_policy(warning_share=Decimal("0.30"))  # warn at 7.2 h: already past
        page = client.get(reverse("web:queue")).content.decode()
    assert f'queue-row level-warning" {marker}' in page
