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
def celery_worker_process(tmp_path):
    """Start one solo Celery worker on the test Redis and the test database; stop it after."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: run through scripts/with-test-services.sh (make test)")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "INFO",  # the worker logs each finished task: the test's barrier
    }
    log = open(tmp_path / "worker.log", "ab")  # noqa: SIM115 — closed with the worker
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
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield redis_url, tmp_path / "worker.log"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        log.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_it_sends_each_reminder_once_through_a_real_worker(org, sam, celery_worker_process):
    from celery import Celery

    now = timezone.now()
    received = now - timedelta(days=20)  # the 10-day report deadline has passed
    appeal = services.appeal_register(
        data=new_appeal(case_no="SG-WORKER-1", received_at=received), by=sam, now=received
    )
    redis_url, log = celery_worker_process
    # A sender of our own, as beat is: the project's app keeps its configured broker.
    beat = Celery(broker=redis_url)
    for _ in range(2):  # beat fires twice; the second run must find nothing new
        beat.send_task("regulators.tasks.sweep_appeal_deadlines")
    beat.close()

    def finished() -> int:
        text = log.read_text(errors="replace") if log.exists() else ""
        task = "Task regulators.tasks.sweep_appeal_deadlines["
        return sum(1 for line in text.splitlines() if task in line and "succeeded" in line)

    # A barrier: both runs have finished (not a guess at how long the second one takes).
    deadline = time.monotonic() + 60
    while finished() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert finished() == 2, log.read_text(errors="replace")[-3000:]
    reminders = AppealReminder.objects.filter(appeal=appeal)
    assert list(reminders.values_list("kind", "stage")) == [("company_report", "overdue")]
    assert reminders.get().due_at == appeal.company_report_due
