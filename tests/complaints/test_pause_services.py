"""Pausing and resuming the resolution clock as a specification (complaints/services/pause.py).

Each test calls the service directly on the real database and reads back the complaint's
fields, the pause intervals, the audit row (actor, transition, states, reason, details) and,
for a refusal, the exact error and that nothing changed. Times are an explicit `now` unlike
the real clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import Complaint, PauseInterval, Status
from kernel.errors import Conflict, InvalidInput, NotFound
from tests.complaints.helpers import audit, bring_to
from tests.unchanged import nothing_changed

HOUR = timedelta(hours=1)


@pytest.fixture
def verifying(make_complaint, alice, org, now):
    """A complaint dispatched to unit A (bob's), its clock running."""
    return services.complaint_dispatch(complaint=make_complaint(), unit=org["a"], by=alice, now=now)


def intervals(complaint):
    return list(
        PauseInterval.objects.filter(complaint=complaint)
        .order_by("id")
        .values_list("started_at", "ended_at", "reason", "started_by")
    )


def refused(exc_info):
    exc = exc_info.value
    return type(exc), str(exc), exc.message, exc.field_errors


def test_a_pause_stops_the_clock_and_is_audited(verifying, bob, now):
    at = now + HOUR
    services.complaint_pause(complaint=verifying, by=bob, reason="  等待客户提供照片  ", now=at)
    verifying.refresh_from_db()
    assert (verifying.paused_at, verifying.paused_seconds) == (at, 0)
    assert intervals(verifying) == [(at, None, "等待客户提供照片", bob.pk)]
    assert audit(verifying, "pause") == (
        bob,
        "staff",
        at,
        "pause",
        "verifying",
        "verifying",
        "等待客户提供照片",
        {},
    )


def test_a_pause_on_a_copy_read_before_the_dispatch_still_pauses(make_complaint, alice, org, now):
    # Pausing does not change the state: a copy read before someone dispatched it is enough.
    stale = make_complaint()
    fresh = Complaint.objects.get(pk=stale.pk)
    services.complaint_dispatch(complaint=fresh, unit=org["a"], by=alice, now=now)
    services.complaint_pause(complaint=stale, by=alice, reason="等材料", now=now + HOUR)
    stale.refresh_from_db()
    assert (stale.status, stale.paused_at) == (Status.VERIFYING, now + HOUR)


@pytest.mark.parametrize(
    ("who", "reason", "error", "message", "fields"),
    [
        ("bob", "  ", InvalidInput, "请填写暂停原因。", {"reason": "请填写暂停原因。"}),
        # Another unit's clerk learns nothing, not even that the reason is missing.
        ("carol", "", NotFound, "工单不存在。", {}),
        ("carol", "等材料", NotFound, "工单不存在。", {}),
    ],
    ids=["no-reason", "other-units-clerk-no-reason", "other-units-clerk"],
)
def test_a_pause_is_refused(who, reason, error, message, fields, verifying, request, now):
    by = request.getfixturevalue(who)
    with nothing_changed(), pytest.raises(error) as exc_info:
        services.complaint_pause(complaint=verifying, by=by, reason=reason, now=now + HOUR)
    assert refused(exc_info) == (error, message, message, fields)


def test_a_paused_complaint_cannot_be_paused_again(verifying, bob, now):
    services.complaint_pause(complaint=verifying, by=bob, reason="等材料", now=now + HOUR)
    with nothing_changed(), pytest.raises(Conflict) as exc_info:
        services.complaint_pause(complaint=verifying, by=bob, reason="再次", now=now + 2 * HOUR)
    assert refused(exc_info) == (Conflict, "工单已在暂停计时中。", "工单已在暂停计时中。", {})


def test_an_answered_complaint_cannot_be_paused(make_complaint, alice, bob, org, now):
    complaint = bring_to(
        "answered", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with nothing_changed(), pytest.raises(Conflict) as exc_info:
        services.complaint_pause(complaint=complaint, by=alice, reason="等材料", now=now + HOUR)
    message = "工单当前状态为“反馈”，不能暂停计时。"
    assert refused(exc_info) == (Conflict, message, message, {})


@pytest.mark.parametrize(("reason", "stored"), [(None, ""), ("客户已补充材料", "客户已补充材料")])
def test_a_resume_restarts_the_clock_and_is_audited(reason, stored, verifying, bob, now):
    services.complaint_pause(complaint=verifying, by=bob, reason="等材料", now=now + HOUR)
    at = now + 6 * HOUR
    extra = {} if reason is None else {"reason": reason}
    services.complaint_resume(complaint=verifying, by=bob, now=at, **extra)
    verifying.refresh_from_db()
    assert (verifying.paused_at, verifying.paused_seconds) == (None, 5 * 3600)
    assert intervals(verifying) == [(now + HOUR, at, "等材料", bob.pk)]
    assert audit(verifying, "resume") == (
        bob,
        "staff",
        at,
        "resume",
        "verifying",
        "verifying",
        stored,
        {},
    )


def test_pauses_add_up_and_each_keeps_its_own_end(verifying, bob, now):
    pause, resume = services.complaint_pause, services.complaint_resume
    pause(complaint=verifying, by=bob, reason="第一次", now=now + HOUR)
    resume(complaint=verifying, by=bob, now=now + 2 * HOUR)
    pause(complaint=verifying, by=bob, reason="第二次", now=now + 3 * HOUR)
    resume(complaint=verifying, by=bob, now=now + 5 * HOUR)
    verifying.refresh_from_db()
    assert verifying.paused_seconds == 3 * 3600
    assert intervals(verifying) == [
        (now + HOUR, now + 2 * HOUR, "第一次", bob.pk),
        (now + 3 * HOUR, now + 5 * HOUR, "第二次", bob.pk),
    ]


def test_a_pause_resumed_at_once_adds_nothing(verifying, bob, now):
    services.complaint_pause(complaint=verifying, by=bob, reason="等材料", now=now + HOUR)
    services.complaint_resume(complaint=verifying, by=bob, now=now + HOUR)
    verifying.refresh_from_db()
    assert verifying.paused_seconds == 0


def test_a_resume_ends_only_this_complaints_pause(make_complaint, verifying, alice, bob, org, now):
    other = services.complaint_dispatch(
        complaint=make_complaint(tracking_no="SF7770001111", phone="13900000002"),
        unit=org["a"],
        by=alice,
        now=now,
    )
    services.complaint_pause(complaint=other, by=bob, reason="另一单", now=now + HOUR)
    services.complaint_pause(complaint=verifying, by=bob, reason="等材料", now=now + HOUR)
    services.complaint_resume(complaint=verifying, by=bob, now=now + 2 * HOUR)
    assert intervals(other) == [(now + HOUR, None, "另一单", bob.pk)]


def test_a_resume_on_a_copy_read_before_the_dispatch_still_resumes(make_complaint, alice, org, now):
    stale = make_complaint()
    services.complaint_pause(complaint=stale, by=alice, reason="等材料", now=now)
    stale.refresh_from_db()
    fresh = Complaint.objects.get(pk=stale.pk)
    services.complaint_dispatch(complaint=fresh, unit=org["a"], by=alice, now=now + HOUR)
    services.complaint_resume(complaint=stale, by=alice, now=now + 2 * HOUR)
    stale.refresh_from_db()
    assert (stale.status, stale.paused_at, stale.paused_seconds) == (
        Status.VERIFYING,
        None,
        2 * 3600,
    )


def test_a_running_clock_cannot_be_resumed(verifying, bob, now):
    with nothing_changed(), pytest.raises(Conflict) as exc_info:
        services.complaint_resume(complaint=verifying, by=bob, now=now + HOUR)
    assert refused(exc_info) == (Conflict, "工单未在暂停计时中。", "工单未在暂停计时中。", {})
