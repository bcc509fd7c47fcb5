"""A repeat submission and a staff action on the earlier complaint at the same moment.

`make faults` met a deadlock here: the staff action held the earlier complaint FOR UPDATE and
waited for the dashboard's mark of the day, which the submission had upserted and held while its
deferred foreign key (repeat_of → the earlier complaint) waited, at COMMIT, for the action.
The submission now takes that key's lock first. Two real transactions on PostgreSQL.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from complaints import services
from complaints.models import Complaint
from dashboard import rollup
from dashboard.rollup import local_day, mark_dirty
from tests.conftest import new_complaint

pytestmark = pytest.mark.django_db(transaction=True)


def _until_a_transaction_waits_for_a_lock(timeout: float = 10.0) -> bool:
    """Poll PostgreSQL's lock table until some backend waits for a lock; False on timeout."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def test_it_does_not_deadlock_a_repeat_submission_with_an_action_on_the_earlier_one(
    alice, monkeypatch
):
    # Both write the same mark row of the day (as two writers of one slot do).
    monkeypatch.setattr(rollup, "_writer_slot", lambda: 7)
    earlier, _ = services.complaint_create(data=new_complaint(), by=alice)
    locked, errors, waiting = threading.Event(), [], []

    def staff_action():
        # What a service does: lock the complaint, change it, and (through the signal) mark
        # today dirty for the dashboard — after the submission has marked it.
        try:
            with transaction.atomic():
                Complaint.objects.select_for_update().get(pk=earlier.pk)
                locked.set()
                # Go on only once the submission is stuck on a lock this transaction holds:
                # then it has done all it does before waiting (a barrier, not a sleep).
                waiting.append(_until_a_transaction_waits_for_a_lock())
                mark_dirty([local_day(timezone.now())])
        except Exception as exc:  # a deadlock is reported to one of the two
            errors.append(exc)
        finally:
            connection.close()

    action = threading.Thread(target=staff_action)
    action.start()
    assert locked.wait(5)
    try:
        repeat, _ = services.complaint_create(
            data=new_complaint(tracking_no="SF9999999999"), by=services.CUSTOMER
        )
    except Exception as exc:
        errors.append(exc)
        repeat = None
    action.join(10)
    assert waiting == [True], "the submission never waited for the staff action's lock"
    assert errors == []
    assert repeat is not None and repeat.repeat_of_id == earlier.pk
