"""The SLA engine end to end: a real Redis, real Celery workers and beat, real PostgreSQL.

The fixtures start `celery worker` and `celery beat` as subprocesses against the test database
(pytest-django's `test_<name>`, data committed by transaction=True), with the sweep every second.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from benchmarks import sla_data
from complaints import services
from escalation.models import EscalationLevel, SlaEvent, SlaPolicy
from kernel.models import Notice, Notification
from tests.conftest import new_complaint

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def _database_url() -> str:
    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()


@pytest.fixture
def celery_env(tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("REDIS_URL is not set: run the tests through scripts/with-test-services.sh")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "SLA_SWEEP_SECONDS": "1",
        "DB_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
    }


class Stack:
    """Celery processes of one test; each in its own process group, killed at the end."""

    def __init__(self, env, tmp_path):
        self.env, self.tmp_path, self.procs = env, tmp_path, {}

    def start(self, name: str, *args: str, **env) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
        proc = subprocess.Popen(
            [CELERY, "-A", "config", *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def worker(self, name: str, concurrency: int = 1, **env) -> subprocess.Popen:
        return self.start(
            name,
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
            **env,
        )

    def beat(self, name: str = "beat", **env) -> subprocess.Popen:
        return self.start(
            name, "beat", "--loglevel=INFO", f"--schedule={self.tmp_path / name}-schedule", **env
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.tmp_path.glob("*.log"))
        )


@pytest.fixture
def stack(celery_env, tmp_path):
    s = Stack(celery_env, tmp_path)
    yield s
    # Stop the processes before pytest-django flushes the tables they are connected to.
    s.stop_all()


def finished_runs(stack: Stack, task: str) -> int:
    """How many runs of `task` the stack's workers have finished so far (from their logs)."""
    text = "".join(log.read_text(errors="replace") for log in stack.tmp_path.glob("*.log"))
    return sum(1 for line in text.splitlines() if f"Task {task}[" in line and "succeeded" in line)


def wait_for_more_sweeps(stack: Stack, count: int = 3) -> None:
    """A barrier: wait until the workers have finished `count` more SLA sweeps."""
    task = "escalation.tasks.sla_sweep"
    done = finished_runs(stack, task)
    wait_for(
        lambda: finished_runs(stack, task) >= done + count,
        timeout=60,
        stack=stack,
        what=f"{count} more sweeps",
    )


def wait_for(condition, *, timeout: float, stack: Stack, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{stack.logs()}")


def test_it_warns_breaches_and_escalates_each_once_and_in_order(stack, alice, bob, org):
    from django.contrib.auth import get_user_model

    head = get_user_model().objects.create_user(username="hank")
    org["a"].head = head
    org["a"].save()
    # A short policy: first response in 18 s, warning at half time, level 1 three seconds after.
    SlaPolicy.objects.filter(priority="normal").update(is_active=False)
    policy = SlaPolicy.objects.create(
        name="测试短时限",
        priority="normal",
        first_response_hours=Decimal("0.005"),
        resolution_hours=Decimal("1"),
        follow_up_hours=Decimal("1"),
        warning_share=Decimal("0.50"),
    )
    EscalationLevel.objects.create(
        policy=policy, level=1, delay_minutes=Decimal("0.05"), notify="unit_head"
    )
    EscalationLevel.objects.create(
        policy=policy, level=2, delay_minutes=Decimal("60"), notify="supervisors"
    )
    accepted = timezone.now()
    complaint, _code = services.complaint_create(
        data=new_complaint(unit_code="A"), by=alice, now=accepted
    )

    stack.worker("w1")
    stack.beat()
    wait_for(
        lambda: Notice.objects.filter(user=head, level="escalation").exists(),
        timeout=60,
        stack=stack,
        what="the level-1 escalation notice",
    )
    wait_for_more_sweeps(stack)  # Several more sweeps: nothing may fire twice.

    events = list(
        SlaEvent.objects.filter(complaint=complaint)
        .order_by("fired_at", "id")
        .values_list("timer", "kind", "level")
    )
    assert events == [
        ("first_response", "warning", 0),
        ("first_response", "breach", 0),
        ("first_response", "escalation", 1),
    ]
    fired = list(SlaEvent.objects.filter(complaint=complaint).order_by("fired_at"))
    # Each fired at its own time, not all at once: the warning before the deadline.
    assert fired[0].fired_at < complaint.first_response_due <= fired[1].fired_at
    assert fired[2].fired_at >= complaint.first_response_due + policy.levels.get(level=1).delay
    assert fired[1].overdue_seconds >= 0

    bob_notices = list(
        Notice.objects.filter(user=bob, complaint_id=complaint.pk)
        .exclude(level="info")
        .order_by("id")
        .values_list("level", flat=True)
    )
    assert bob_notices == ["warning", "breach"]
    assert "即将到期" in Notice.objects.get(user=bob, level="warning").title
    assert list(Notice.objects.filter(user=head).values_list("level", flat=True)) == ["escalation"]
    assert not Notification.objects.exclude(status__in=["sent", "skipped"]).exists()


def _expected(count: int) -> int:
    # Each due complaint: first-response warning, breach and level-1 escalation (3 events); the
    # owner (alice) hears of the warning and breach, the supervisor (sam, as no unit head) of
    # the escalation; all in-app.
    return 3 * count


def _drained(count: int):
    def check():
        return (
            SlaEvent.objects.count() == _expected(count)
            and Notice.objects.count() == _expected(count)
            and not Notification.objects.exclude(status="sent").exists()
        )

    return check


def _assert_exactly_once(count: int) -> None:
    assert SlaEvent.objects.count() == _expected(count)
    assert Notification.objects.count() == _expected(count)
    assert Notice.objects.count() == _expected(count)
    assert Notice.objects.values("notification_id").distinct().count() == _expected(count)
    # In-app delivery claims and writes in one transaction: one attempt each, never two.
    assert not Notification.objects.exclude(attempts=1).exists()
    per_complaint = SlaEvent.objects.values("complaint_id").distinct().count()
    assert per_complaint == count


def test_it_loses_and_duplicates_nothing_when_a_worker_is_killed_mid_sweep(stack, alice, sam):
    count = 400
    sla_data.generate(
        count=count, due=count, now=timezone.now(), owner_id=alice.pk, extra_due_events=True
    )
    # Small batches with a pause between them, so the kill lands in the middle of a sweep.
    stack.worker("w1", SLA_SWEEP_BATCH="40", SLA_SWEEP_PAUSE_SECONDS="0.3")
    stack.beat()
    wait_for(lambda: SlaEvent.objects.exists(), timeout=60, stack=stack, what="the first batch")
    stack.kill("w1")
    fired_at_kill = SlaEvent.objects.count()
    assert 0 < fired_at_kill < _expected(count), "the kill should land mid-sweep"

    stack.worker("w2", SLA_SWEEP_BATCH="40")
    wait_for(_drained(count), timeout=90, stack=stack, what="the sweep and delivery to finish")
    wait_for_more_sweeps(stack)
    _assert_exactly_once(count)


def test_it_duplicates_nothing_with_two_workers_and_two_beats(stack, alice, sam):
    count = 400
    sla_data.generate(
        count=count, due=count, now=timezone.now(), owner_id=alice.pk, extra_due_events=True
    )
    stack.worker("w1", concurrency=2, SLA_SWEEP_BATCH="40")
    stack.worker("w2", concurrency=2, SLA_SWEEP_BATCH="40")
    stack.beat("beat1")
    stack.beat("beat2")  # By mistake.
    wait_for(_drained(count), timeout=90, stack=stack, what="the sweep and delivery to finish")
    wait_for_more_sweeps(stack)
    _assert_exactly_once(count)
