"""Dirty-day marks: concurrent writers never queue for one row, and no change is missed.

A change of a complaint marks the days it touches for the rollup refresh inside its own
transaction, except today, which every run of the refresher marks itself. With one row per day,
every writer of the day waited for the previous one's commit (the row lock of the upsert); each
writer now has its own slot row, and the refresher's claim of a day still waits for every
uncommitted mark of it, so it recomputes with those changes.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from complaints import services
from dashboard import rollup
from dashboard.models import DailyRollup, DirtyMark
from tests.conftest import new_complaint

SLOTS = {"MainThread": 1, "writer-1": 1, "writer-2": 2, "writer-3": 1}


NOON = "2026-11-25T04:00:00Z"  # 12:00 in Shanghai


@pytest.fixture
def named_slots(monkeypatch):
    monkeypatch.setattr(rollup, "_writer_slot", lambda: SLOTS[threading.current_thread().name])


def _run(name: str, fn) -> threading.Thread:
    def body():
        try:
            fn()
        finally:
            connection.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def _mark_within(day, seconds: float) -> str:
    """Mark the day in a transaction that gives up waiting for a lock after `seconds`."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
            rollup.mark_dirty([day])
        return "marked"
    except OperationalError:
        return "waited"


@pytest.mark.django_db(transaction=True)
def test_it_lets_two_writers_mark_the_same_day_without_waiting(named_slots):
    day = timezone.localdate()
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def first():
        with transaction.atomic():
            rollup.mark_dirty([day])
            holding.set()
            release.wait(10)

    def second():
        holding.wait(10)
        outcome["other slot"] = _mark_within(day, 0.5)

    def same_slot():
        holding.wait(10)
        outcome["same slot"] = _mark_within(day, 0.5)

    threads = [_run("writer-1", first), _run("writer-2", second), _run("writer-3", same_slot)]
    threads[1].join(10), threads[2].join(10)
    release.set()
    threads[0].join(10)
    assert outcome == {"other slot": "marked", "same slot": "waited"}
    assert set(DirtyMark.objects.values_list("day", "slot")) == {(day, 1), (day, 2)}


@pytest.mark.django_db(transaction=True)
def test_it_never_loses_a_change_committed_while_the_refresher_recomputes_its_day(
    alice, time_machine
):
    """A submission still open while the refresher recomputes today is not in that run's
    figures; it is in the next run's, which marks today again itself."""
    # Noon in Shanghai, the clock running: no midnight (and its margin) inside the test.
    time_machine.move_to(NOON, tick=True)
    now = timezone.now()
    day = timezone.localdate(now)
    services.complaint_create(data=new_complaint(tracking_no="SF7000000001"), by=alice, now=now)
    created, refreshed = threading.Event(), threading.Event()

    def create_slowly():
        with transaction.atomic():
            services.complaint_create(
                data=new_complaint(tracking_no="SF7000000002"), by=alice, now=now
            )
            created.set()
            refreshed.wait(10)  # commits once the refresher is done

    def refresh():
        created.wait(10)
        rollup.rollup_refresh()
        refreshed.set()

    threads = [_run("writer-1", create_slowly), _run("writer-3", refresh)]
    for thread in threads:
        thread.join(15)
    received = DailyRollup.objects.filter(day=day).values_list("received", flat=True)
    assert sum(received) == 1
    rollup.rollup_refresh()
    received = DailyRollup.objects.filter(day=day).values_list("received", flat=True)
    assert sum(received) == 2 and not DirtyMark.objects.exists()


@pytest.mark.django_db
def test_a_run_recomputes_today_once_and_the_next_run_again(
    make_complaint, monkeypatch, time_machine
):
    """Under steady intake today changes during its own recompute: one run recomputes it once
    (not back to back until max_days), and the next run recomputes it with the new change."""
    # At noon: on the real clock, a run in the 10 minutes after midnight in Shanghai also
    # recomputes the day before (see the table below) and counts 2.
    time_machine.move_to(NOON, tick=False)
    now = timezone.now()
    day = timezone.localdate(now)
    make_complaint(at=now)
    recomputed = []
    real = rollup.recompute_days

    def recompute_while_a_submission_arrives(first, last, **kwargs):
        recomputed.append((first, last))
        if len(recomputed) == 1:
            make_complaint(at=now, tracking_no="SF7000000003")
        return real(first, last, **kwargs)

    monkeypatch.setattr(rollup, "recompute_days", recompute_while_a_submission_arrives)
    assert rollup.rollup_refresh() == 1
    assert recomputed == [(day, day)]

    assert rollup.rollup_refresh() == 1
    assert recomputed == [(day, day), (day, day)]
    assert not DirtyMark.objects.exists()
    assert sum(DailyRollup.objects.filter(day=day).values_list("received", flat=True)) == 2


@pytest.mark.django_db
def test_a_change_marks_the_days_it_touches_but_today(make_complaint, time_machine):
    """Today is the refresher's to mark (every run does); a change of an older complaint marks
    that complaint's acceptance day."""
    time_machine.move_to("2026-11-25T04:00:00Z", tick=False)  # 12:00 in Shanghai
    today = timezone.localdate()
    make_complaint(at=timezone.now())
    assert not DirtyMark.objects.exists()
    make_complaint(at=timezone.now() - timedelta(days=3), tracking_no="SF7000000009")
    assert set(DirtyMark.objects.values_list("day", flat=True)) == {today - timedelta(days=3)}


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@pytest.mark.parametrize(
    ("previous_start", "now", "days"),
    [
        (None, "2026-11-25T04:00:00Z", ["2026-11-25"]),
        ("2026-11-25T03:59:00Z", "2026-11-25T04:00:00Z", ["2026-11-25"]),
        # Shanghai midnight is 16:00 UTC: a run just after it also marks the day before,
        ("2026-11-25T15:59:00Z", "2026-11-25T16:00:30Z", ["2026-11-25", "2026-11-26"]),
        # and so does the next, for a transaction begun before midnight and still open then,
        ("2026-11-25T16:00:30Z", "2026-11-25T16:01:30Z", ["2026-11-25", "2026-11-26"]),
        # but not once the margin (10 minutes) is past;
        ("2026-11-25T16:11:00Z", "2026-11-25T16:12:00Z", ["2026-11-26"]),
        # after a day without a run (beat down), every day since.
        ("2026-11-23T08:00:00Z", "2026-11-25T04:00:00Z", ["2026-11-23", "2026-11-24",
                                                          "2026-11-25"]),
    ],
)  # fmt: skip
def test_each_run_marks_the_days_since_the_previous_one_began(previous_start, now, days):
    expected = [date.fromisoformat(day) for day in days]
    assert rollup._days_since(_utc(previous_start), _utc(now)) == expected


@pytest.mark.django_db
def test_a_day_whose_recompute_was_slow_rests_before_the_next(
    make_complaint, monkeypatch, time_machine
):
    """Today's recompute reads every complaint of the day: when it took 5 s, the day keeps its
    new marks for 20 × 5 s before it is recomputed again; quick days are never held back."""
    time_machine.move_to(NOON, tick=False)  # far from midnight in Shanghai (see above)
    clock = [1_000_000.0]
    monkeypatch.setattr(rollup, "_clock", lambda: clock[0])
    now = timezone.now()
    day = timezone.localdate(now)
    make_complaint(at=now)
    real = rollup.recompute_days

    def slow(first, last, **kwargs):
        clock[0] += 5.0 if first == day else 0.01
        return real(first, last, **kwargs)

    monkeypatch.setattr(rollup, "recompute_days", slow)
    assert rollup.rollup_refresh() == 1

    make_complaint(at=now, tracking_no="SF7000000004")
    yesterday = now - timezone.timedelta(days=1)
    make_complaint(at=yesterday, tracking_no="SF7000000005")  # marks yesterday (and today)
    clock[0] += 60  # the next beat run: today rests (100 s), yesterday is done
    assert rollup.rollup_refresh() == 1
    assert set(DirtyMark.objects.values_list("day", flat=True)) == {day}
    received = dict(DailyRollup.objects.values_list("day", "received"))
    assert received == {day: 1, timezone.localdate(yesterday): 1}

    clock[0] += 41  # 101 s after today's recompute
    assert rollup.rollup_refresh() == 1
    assert not DirtyMark.objects.exists()
    assert sum(DailyRollup.objects.filter(day=day).values_list("received", flat=True)) == 2
