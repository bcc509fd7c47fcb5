"""The appeal deadline sweep: each reminder exactly once, even with two workers at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from regulators import services
from regulators.models import AppealReminder
from regulators.signals import appeal_deadline_due
from regulators.sweeps import appeal_sweep_deadlines
from regulators.tasks import sweep_appeal_deadlines
from tests.regulators.conftest import new_appeal


@pytest.fixture
def heard():
    """Collect what `appeal_deadline_due` announces (thread-safe list appends)."""
    calls = []

    def receiver(sender, appeal, kind, stage, due_at, reminder, **kwargs):
        calls.append((appeal.case_no, kind, stage, due_at, reminder.pk))

    appeal_deadline_due.connect(receiver, dispatch_uid="test-heard")
    yield calls
    appeal_deadline_due.disconnect(dispatch_uid="test-heard")


def test_it_reminds_once_when_the_report_is_due_soon_and_once_when_overdue(register, heard):
    appeal = register()
    due = appeal.company_report_due  # 48 h lead by default

    assert appeal_sweep_deadlines(now=due - timedelta(hours=49)) == 0
    assert appeal_sweep_deadlines(now=due - timedelta(hours=47)) == 1
    assert appeal_sweep_deadlines(now=due - timedelta(hours=46)) == 0  # already sent
    assert appeal_sweep_deadlines(now=due) == 1
    assert appeal_sweep_deadlines(now=due + timedelta(days=1)) == 0
    assert [(kind, stage) for _case, kind, stage, _due, _pk in heard] == [
        ("company_report", "due_soon"),
        ("company_report", "overdue"),
    ]
    assert AppealReminder.objects.filter(appeal=appeal).count() == 2


def test_it_stops_reminding_once_the_step_is_done(register, sam, heard):
    appeal = register()
    services.appeal_send_report(appeal=appeal, by=sam, via="监管申诉系统", now=appeal.received_at)
    assert appeal_sweep_deadlines(now=appeal.company_report_due + timedelta(hours=1)) == 0
    assert heard == []


def test_it_reminds_about_mediation_feedback_and_again_after_a_new_proposal(register, sam, heard):
    appeal = register()
    appeal = services.appeal_send_report(appeal=appeal, by=sam, via="系统", now=appeal.received_at)
    appeal = services.appeal_record_mediation_proposal(
        appeal=appeal, by=sam, proposal="方案一", now=appeal.received_at + timedelta(hours=1)
    )
    first_due = appeal.mediation_feedback_due
    assert appeal_sweep_deadlines(now=first_due) == 1
    appeal = services.appeal_record_mediation_proposal(
        appeal=appeal, by=sam, proposal="方案二", now=first_due + timedelta(hours=1)
    )
    assert appeal.mediation_feedback_due > first_due
    assert appeal_sweep_deadlines(now=appeal.mediation_feedback_due) == 1
    assert [(kind, stage) for _c, kind, stage, _d, _p in heard] == [
        ("mediation_feedback", "overdue"),
        ("mediation_feedback", "overdue"),
    ]


def test_it_works_through_more_appeals_than_one_batch(register, heard):
    appeals = [register(case_no=f"SG-BATCH-{i:03d}", tracking_no=f"SF{i:06d}") for i in range(7)]
    due = appeals[0].company_report_due
    assert appeal_sweep_deadlines(now=due, batch=3) == 7
    assert len(heard) == 7 and len({case for case, *_ in heard}) == 7


def test_it_runs_as_the_celery_task(register, heard, settings):
    appeal = register()
    import time_machine

    with time_machine.travel(appeal.company_report_due + timedelta(minutes=1), tick=False):
        assert sweep_appeal_deadlines.apply().get() == 1
    assert settings.CELERY_BEAT_SCHEDULE["regulators-sweep-appeal-deadlines"]["task"] == (
        "regulators.tasks.sweep_appeal_deadlines"
    )


@pytest.mark.django_db(transaction=True)
def test_it_claims_each_reminder_exactly_once_with_two_concurrent_sweeps(org, sam, heard):
    appeals = [
        services.appeal_register(
            data=new_appeal(case_no=f"SG-RACE-{i:03d}", tracking_no=f"YT{i:06d}"),
            by=sam,
            now=new_appeal().received_at,
        )
        for i in range(12)
    ]
    due = appeals[0].company_report_due
    start = threading.Barrier(2)

    def sweep():
        try:
            start.wait()
            return appeal_sweep_deadlines(now=due, batch=5)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: sweep(), range(2)))

    assert sum(counts) == 12, counts
    assert AppealReminder.objects.filter(kind="company_report", stage="overdue").count() == 12
    assert sorted(case for case, *_ in heard) == sorted(a.case_no for a in appeals)
