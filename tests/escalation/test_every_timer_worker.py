"""Every timer through a real Celery worker and beat: each event and reminder exactly once.

test_every_timer.py drives each event at its instant with frozen time; this one runs them all
as production does — beat's tasks through Redis to a worker, on the real clock — with every
subject set up far enough in the past that all its events are due at the first sweep. Beat
then sweeps again and again (the test waits for three more sweeps of each kind to finish, a
barrier rather than a sleep); every event must exist once, with one set of messages, each
delivered once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from compensation import services as claim_services
from complaints import services
from escalation.models import SlaEvent
from kernel.models import Notice, Notification
from regulators import services as appeal_services
from regulators.models import AppealReminder
from tests.conftest import GOOD_REPLY, new_complaint
from tests.escalation import test_workers as workers
from tests.escalation.test_every_timer import DAMAGE, LOSS
from tests.escalation.test_workers import finished_runs, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The Celery processes of test_workers.py: a worker and beat on the test database and Redis.
celery_env = workers.celery_env
stack = workers.stack

LADDER = ("warning", 0), ("breach", 0), ("escalation", 1), ("escalation", 2)
STATUTORY = ("statutory_risk", 0), ("breach", 0), ("escalation", 1), ("escalation", 2)


def _appeal(case_no: str, *, sam, received_at):
    return appeal_services.appeal_register(
        data=appeal_services.NewAppeal(
            case_no=case_no,
            received_at=received_at,
            regulator_received_on=received_at.date(),
            province="GD",
            appellant_name="测试客户",
            appellant_phone="13800000088",
            facts="快件丢失，向企业投诉后未获处理。",
            request="要求赔偿。",
            ticket_no="",
            tracking_no=f"SF88{case_no[-6:]}",
            category="loss",
            party="recipient",
        ),
        by=sam,
        now=received_at,
    )


def test_it_fires_every_timer_once_through_the_worker(stack, org, alice, bob, sam):
    now = timezone.now()
    long_ago = now - timedelta(days=20)  # every complaint and claim timer is past escalation 2
    hour = timedelta(hours=1)

    def complaint(n: int):
        made, _code = services.complaint_create(
            data=new_complaint(
                unit_code="A", tracking_no=f"SF90000000{n:02d}", phone=f"1390000{n:04d}"
            ),
            by=alice,
            now=long_ago,
        )
        return made

    untouched = complaint(1)  # first response, resolution and statutory all run
    answered = services.complaint_dispatch(
        complaint=complaint(2), unit=org["a"], by=alice, now=long_ago
    )
    services.complaint_reply(complaint=answered, by=bob, reply=GOOD_REPLY, now=long_ago + hour)
    claims = {}
    for n, facts in ((3, LOSS), (4, DAMAGE)):
        at_a = services.complaint_dispatch(
            complaint=complaint(n), unit=org["a"], by=alice, now=long_ago
        )
        claims[facts.incident] = claim_services.claim_propose(
            complaint=at_a, by=bob, facts=facts, now=long_ago
        )
    # Appeals 40 days old: the report (10 days) and the regulator's answer (30 days) overdue,
    # and a mediation proposal 40 days unanswered.
    received = now - timedelta(days=40)
    appeal = _appeal("SG-WORKER-000001", sam=sam, received_at=received)
    mediation = appeal_services.appeal_record_mediation_proposal(
        appeal=appeal_services.appeal_send_report(
            appeal=_appeal("SG-WORKER-000002", sam=sam, received_at=received),
            by=sam,
            via="监管申诉系统",
            now=received,
        ),
        by=sam,
        proposal="建议按实际损失赔偿。",
        now=received,
    )

    expected_events = {
        untouched.pk: sorted(
            [("first_response", k, lv) for k, lv in LADDER]
            + [("resolution", k, lv) for k, lv in LADDER]
            + [("statutory", k, lv) for k, lv in STATUTORY]
        ),
        answered.pk: sorted(("follow_up", k, lv) for k, lv in LADDER),
    }
    expected_claim_events = {
        claims["loss"].pk: [("claim_settlement", "breach", 0), ("claim_settlement", "warning", 0)],
        claims["partial_damage"].pk: [
            ("claim_assessment", "breach", 0),
            ("claim_assessment", "warning", 0),
        ],
    }
    expected_reminders = {
        appeal.pk: [("company_report", "overdue"), ("regulator_reply", "overdue")],
        mediation.pk: [("mediation_feedback", "overdue"), ("regulator_reply", "overdue")],
    }

    def events_of(complaint_id):
        rows = SlaEvent.objects.filter(complaint_id=complaint_id, record_id__isnull=True)
        return sorted(rows.values_list("timer", "kind", "level"))

    def claim_events(claim_id):
        return sorted(
            SlaEvent.objects.filter(record_id=claim_id).values_list("timer", "kind", "level")
        )

    def reminders(appeal_id):
        rows = AppealReminder.objects.filter(appeal_id=appeal_id)
        return sorted(rows.values_list("kind", "stage"))

    def all_fired_and_delivered():
        return (
            all(events_of(c) == e for c, e in expected_events.items())
            and all(claim_events(c) == e for c, e in expected_claim_events.items())
            and all(reminders(a) == r for a, r in expected_reminders.items())
            and not Notification.objects.exclude(status="sent").exists()
        )

    env = {"REGULATORS_SWEEP_SECONDS": "1"}
    stack.worker("w1", **env)
    stack.beat(**env)
    wait_for(all_fired_and_delivered, timeout=120, stack=stack, what="every event and message")

    # Barrier: three more finished runs of each sweep after everything was there.
    sweeps = {
        task: finished_runs(stack, task)
        for task in ("escalation.tasks.sla_sweep", "regulators.tasks.sweep_appeal_deadlines")
    }
    wait_for(
        lambda: all(finished_runs(stack, t) >= n + 3 for t, n in sweeps.items()),
        timeout=60,
        stack=stack,
        what="three more sweeps",
    )

    for complaint_id, events in expected_events.items():
        assert events_of(complaint_id) == events
    for claim_id, events in expected_claim_events.items():
        assert claim_events(claim_id) == events
    for appeal_id, expected in expected_reminders.items():
        assert reminders(appeal_id) == expected
    sent = list(
        Notification.objects.values_list("topic", "user_id", "channel", "status", "attempts")
    )
    repeated = [key for key, n in Counter(row[:3] for row in sent).items() if n > 1]
    assert repeated == []  # one message per event, person and channel
    assert {row[3:] for row in sent} == {("sent", 1)}  # each delivered once
    in_app = Notification.objects.filter(channel="in_app")
    assert Notice.objects.count() == in_app.count()
    assert Notice.objects.values("notification_id").distinct().count() == in_app.count()
