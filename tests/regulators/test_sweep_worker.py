"""The sweep as it runs in production: beat's task, sent through Redis to a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from regulators import services
from regulators.models import AppealReminder
from tests.regulators.conftest import new_appeal

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def celery_worker_process():
    """Start one solo Celery worker on the test Redis and the test database; stop it after."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: run through scripts/with-test-services.sh (make test)")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield redis_url
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_it_sends_each_reminder_once_through_a_real_worker(org, sam, celery_worker_process):
    from celery import Celery
    from redis import Redis

    now = timezone.now()
    received = now - timedelta(days=20)  # the 10-day report deadline has passed
    appeal = services.appeal_register(
        data=new_appeal(case_no="SG-WORKER-1", received_at=received), by=sam, now=received
    )
    # A sender of our own, as beat is: the project's app keeps its configured broker.
    beat = Celery(broker=celery_worker_process)
    for _ in range(2):  # beat fires twice; the second run must find nothing new
        beat.send_task("regulators.tasks.sweep_appeal_deadlines")
    queue = Redis.from_url(celery_worker_process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if AppealReminder.objects.filter(appeal=appeal).exists() and not queue.llen("celery"):
            break
        time.sleep(0.2)
    time.sleep(1.0)  # the second task was taken from the queue; let it finish
    beat.close()
    reminders = AppealReminder.objects.filter(appeal=appeal)
    assert list(reminders.values_list("kind", "stage")) == [("company_report", "overdue")]
    assert reminders.get().due_at == appeal.company_report_due
