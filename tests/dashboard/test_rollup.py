"""The incrementally maintained rollup always equals a from-scratch computation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import services
from complaints.models import Complaint
from dashboard.models import DailyRollup, MonthlyRollup
from dashboard.rollup import ROW_COLUMNS, recompute_days, rollup_refresh
from kernel.errors import DomainError
from tests.conftest import GOOD_REPLY, new_complaint
from tests.dashboard.conftest import breach, fresh

START = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
ACTIONS = ("create", "dispatch", "reply", "close", "unsatisfied", "withdraw", "reject",
           "escalate", "reassign", "breach", "pause", "resume")  # fmt: skip


def snapshot() -> tuple[list[tuple], list[tuple]]:
    monthly = [f.column for f in MonthlyRollup._meta.concrete_fields if not f.primary_key]
    return (
        sorted(DailyRollup.objects.values_list(*ROW_COLUMNS)),
        sorted(MonthlyRollup.objects.values_list(*monthly)),
    )


def apply(step, people, org):
    """One random change through the services; refused changes are simply skipped."""
    action, pick, hours = step
    alice, bob = people
    at = START + timedelta(hours=hours)
    complaints = list(Complaint.objects.order_by("pk"))
    if action == "create" or not complaints:
        services.complaint_create(
            data=new_complaint(
                tracking_no=f"YT{pick:010d}",
                phone=f"1380000{pick % 10000:04d}",
                category=("delay", "loss", "damage")[pick % 3],
            ),
            by=alice,
            now=at,
        )
        return
    c = fresh(complaints[pick % len(complaints)])
    at = max(at, c.updated_at, c.accepted_at) + timedelta(minutes=1)
    s = services
    try:
        if action == "dispatch":
            s.complaint_dispatch(complaint=c, unit=org["a"], by=alice, now=at)
        elif action == "reassign":
            s.complaint_reassign(complaint=c, unit=org["b"], by=alice, reason="改派", now=at)
        elif action == "reply":
            s.complaint_reply(complaint=c, by=bob, reply=GOOD_REPLY, now=at)
        elif action == "close":
            s.complaint_record_follow_up(complaint=c, by=alice, outcome="satisfied", now=at)
        elif action == "unsatisfied":
            s.complaint_record_follow_up(
                complaint=c, by=alice, outcome="unsatisfied", customer_words="不满意", now=at
            )
        elif action == "withdraw":
            s.complaint_withdraw(complaint=c, by=alice, reason="撤诉", now=at)
        elif action == "reject":
            s.complaint_reject(complaint=c, by=alice, reason="不予受理", now=at)
        elif action == "escalate":
            s.complaint_mark_escalated(complaint=c, by=alice, reason="升级", now=at)
        elif action == "pause":
            s.complaint_pause(complaint=c, by=alice, reason="等待客户", now=at)
        elif action == "resume":
            s.complaint_resume(complaint=c, by=alice, now=at)
        elif (
            action == "breach"
            and c.is_open
            and c.first_response_due
            and not c.sla_events.filter(kind="breach", timer="first_response").exists()
        ):
            # The SLA sweep writes breach rows without a complaint change: the refresh finds
            # them by its watermark.
            breach(c, "first_response", c.first_response_due, at)
    except DomainError:
        pass


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 50), st.integers(0, 24 * 20)),
        min_size=1,
        max_size=25,
    )
)
def test_it_keeps_the_rollup_equal_to_a_full_recompute(alice, bob, org, time_machine, steps):
    time_machine.move_to("2026-11-25T02:00:00Z", tick=False)
    rollup_refresh()
    for step in steps:
        apply(step, (alice, bob), org)
    rollup_refresh()
    incremental = snapshot()
    recompute_days(START.date() - timedelta(days=2), START.date() + timedelta(days=40))
    assert incremental == snapshot()


def test_it_lets_one_worker_refresh_at_a_time(make_complaint, time_machine):
    """A second refresher returns at once while another holds the lock; the marks stay."""
    import psycopg2
    from django.db import connection

    from dashboard.models import DirtyMark
    from dashboard.rollup import REFRESH_LOCK

    time_machine.move_to("2026-11-25T02:00:00Z", tick=False)
    make_complaint(at=START)
    assert DirtyMark.objects.exists()
    conf = connection.settings_dict
    other = psycopg2.connect(
        dbname=conf["NAME"], user=conf["USER"], host=conf["HOST"], port=conf["PORT"]
    )
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [REFRESH_LOCK])
        assert rollup_refresh() == 0
        assert DirtyMark.objects.exists()
        with other.cursor() as cur:
            # Released explicitly: a closed session's backend may exit a moment later.
            cur.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])
    finally:
        other.close()
    assert rollup_refresh() >= 1
    assert not DirtyMark.objects.exists()
    assert DailyRollup.objects.filter(day=START.date(), received=1).exists()
