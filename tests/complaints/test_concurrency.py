"""Two people acting at once on real PostgreSQL connections: one wins, the other is told."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from complaints import numbering, services
from complaints.models import Complaint, ComplaintTransition
from kernel.errors import Conflict
from tests.conftest import new_complaint


def _in_thread(fn):
    """Run fn in its own thread (and so its own database connection); return result or error."""

    def run():
        try:
            return fn()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    return run


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_transitions_win(org, alice, sam, now):
    complaint, _ = services.complaint_create(data=new_complaint(), by=alice, now=now)
    start = threading.Barrier(2)

    def dispatch(by, unit):
        def go():
            copy = Complaint.objects.get(pk=complaint.pk)  # both read 受理
            start.wait()
            return services.complaint_dispatch(complaint=copy, unit=unit, by=by, now=now)

        return _in_thread(go)

    def reject(by):
        def go():
            copy = Complaint.objects.get(pk=complaint.pk)
            start.wait()
            return services.complaint_reject(complaint=copy, by=by, reason="重复", now=now)

        return _in_thread(go)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: f(), [dispatch(alice, org["a"]), reject(sam)]))

    conflicts = [r for r in results if isinstance(r, Conflict)]
    wins = [r for r in results if isinstance(r, Complaint)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    complaint.refresh_from_db()
    assert complaint.status == wins[0].status
    moves = ComplaintTransition.objects.filter(complaint=complaint).exclude(transition="create")
    assert moves.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_identical_dispatches_win(org, alice, sam, now):
    complaint, _ = services.complaint_create(data=new_complaint(), by=alice, now=now)
    start = threading.Barrier(2)

    def dispatch(by, unit):
        def go():
            copy = Complaint.objects.get(pk=complaint.pk)
            start.wait()
            return services.complaint_dispatch(complaint=copy, unit=unit, by=by, now=now)

        return _in_thread(go)

    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda f: f(), [dispatch(alice, org["a"]), dispatch(sam, org["b"])])
        )
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "Conflict"]
    assert (
        ComplaintTransition.objects.filter(complaint=complaint, transition="dispatch").count() == 1
    )


@pytest.mark.django_db(transaction=True)
def test_it_gives_unique_ticket_numbers_under_concurrent_creation(org, alice, now):
    start = threading.Barrier(8)

    def create(i):
        def go():
            start.wait()
            made = []
            for j in range(10):
                complaint, _ = services.complaint_create(
                    data=new_complaint(tracking_no=f"T{i}X{j}", phone=f"1380000{i}{j:03d}"),
                    by=alice,
                    now=now,
                )
                made.append(complaint.ticket_no)
            return made

        return _in_thread(go)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda f: f(), [create(i) for i in range(8)]))
    numbers = [n for made in results for n in made]
    assert len(numbers) == 80
    assert len(set(numbers)) == 80
    assert sorted(numbers) == [f"TS20261116{k:06d}" for k in range(1, 81)]
    assert numbering.issued([now.date()]) == {now.date(): 80}
