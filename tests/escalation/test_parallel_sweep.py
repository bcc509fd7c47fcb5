"""Threads sweeping at once (SLA["SWEEP_WORKERS"]) take disjoint batches: nothing twice.

Committed data (transaction=True): the threaded sweep runs only outside a transaction, each
thread on its own connection, as in a Celery worker.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from benchmarks import sla_data
from complaints.models import Complaint
from escalation.models import SlaEvent
from escalation.sweep import sla_sweep
from kernel.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_sweeps_disjoint_batches_in_parallel_threads_exactly_once(alice, sam, monkeypatch):
    import threading

    from escalation import sweep

    threads = set()
    real_batch = sweep.sweep_batch

    def spy(**kwargs):
        threads.add(threading.current_thread().name)
        return real_batch(**kwargs)

    monkeypatch.setattr(sweep, "sweep_batch", spy)
    count = 300
    now = timezone.now()
    sla_data.generate(count=count, due=count, now=now, owner_id=alice.pk, extra_due_events=True)
    assert not connection.in_atomic_block

    first = sla_sweep(now=now, batch_size=25, workers=3)
    again = sla_sweep(now=now, batch_size=25, workers=3)

    # Warning, breach and level-1 escalation of each complaint's first response.
    assert (first.complaints, first.events) == (count, 3 * count)
    assert first.batches >= count // 25
    assert (again.complaints, again.events) == (0, 0)
    assert len(threads) == 3 and all(name.startswith("sla-sweep") for name in threads)
    assert SlaEvent.objects.count() == 3 * count
    assert Notification.objects.count() == 3 * count
    assert SlaEvent.objects.values("complaint_id").distinct().count() == count
    # Every complaint moved on to its next event (the level-2 escalation, 24 h after breach).
    assert not Complaint.objects.filter(sla_next_check__lte=now).exists()
