"""Pausing and resuming the resolution clock (e.g. waiting for the customer's evidence).

A paused complaint's resolution deadline moves out by the time paused (SPEC §2, §4); `_end_pause`
also closes a running pause when a complaint is answered, rejected or withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import Conflict
from kernel.workflow import now_or

from ..models import PAUSABLE_STATES, Complaint, PauseInterval
from .audit import actor_fields, record
from .authorization import authorize
from .steps import lock_complaint, require_text, save_complaint


@transaction.atomic
def complaint_pause(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """Stop the resolution clock while waiting for the customer (e.g. evidence photos)."""
    now = now_or(now)
    authorize(by, "pause_complaint", complaint)
    reason = require_text(reason, "reason", _("暂停原因"))
    locked = lock_complaint(complaint, by=by, perm="pause_complaint", unchanged=False)
    if locked.status not in PAUSABLE_STATES:
        raise Conflict(
            _("工单当前状态为“%(status)s”，不能暂停计时。")
            % {"status": locked.get_status_display()}
        )
    if locked.is_paused:
        raise Conflict(_("工单已在暂停计时中。"))
    locked.paused_at = now
    PauseInterval.objects.create(
        complaint=locked, started_at=now, reason=reason, started_by=actor_fields(by)[0]
    )
    save_complaint(locked, now=now)
    record(locked, by, "pause", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_resume(
    *, complaint: Complaint, by: Actor, reason: str = "", now: datetime | None = None
) -> Complaint:
    """Restart the resolution clock; its deadline moves out by the time paused."""
    now = now_or(now)
    authorize(by, "pause_complaint", complaint)
    locked = lock_complaint(complaint, by=by, perm="pause_complaint", unchanged=False)
    if not locked.is_paused:
        raise Conflict(_("工单未在暂停计时中。"))
    _end_pause(locked, now=now)
    save_complaint(locked, now=now)
    record(locked, by, "resume", locked.status, now=now, reason=reason)
    return locked


def _end_pause(locked: Complaint, *, now: datetime) -> None:
    if locked.paused_at is None:  # not paused: nothing to end (the callers check is_paused)
        return
    paused = max(int((now - locked.paused_at).total_seconds()), 0)
    locked.paused_seconds += paused
    locked.paused_at = None
    PauseInterval.objects.filter(complaint=locked, ended_at__isnull=True).update(ended_at=now)
