"""Pausing and resuming the resolution clock (e.g. waiting for the customer's evidence).

A paused complaint's resolution deadline moves out by the time paused (SPEC §2, §4); `_end_pause`
also closes a running pause when a complaint is answered, rejected or withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.errors import Conflict

from ..models import PAUSABLE_STATES, Complaint, PauseInterval
from .access import _actor_fields, authorize
from .steps import _audit, _lock, _now, _require, _save


@transaction.atomic
def complaint_pause(*, complaint: Complaint, by, reason: str, now=None):
    """Stop the resolution clock while waiting for the customer (e.g. evidence photos)."""
    now = _now(now)
    authorize(by, "pause_complaint", complaint, action="pause")
    reason = _require(reason, "reason", _("暂停原因"))
    locked = _lock(complaint, by=by, perm="pause_complaint", action="pause", unchanged=False)
    if locked.status not in PAUSABLE_STATES:
        raise Conflict(
            _("工单当前状态为“%(status)s”，不能暂停计时。")
            % {"status": locked.get_status_display()}
        )
    if locked.is_paused:
        raise Conflict(_("工单已在暂停计时中。"))
    locked.paused_at = now
    PauseInterval.objects.create(
        complaint=locked, started_at=now, reason=reason, started_by=_actor_fields(by)[0]
    )
    _save(locked, now=now)
    _audit(locked, by, "pause", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_resume(*, complaint: Complaint, by, reason: str = "", now=None):
    """Restart the resolution clock; its deadline moves out by the time paused."""
    now = _now(now)
    authorize(by, "pause_complaint", complaint, action="resume")
    locked = _lock(complaint, by=by, perm="pause_complaint", action="resume", unchanged=False)
    if not locked.is_paused:
        raise Conflict(_("工单未在暂停计时中。"))
    _end_pause(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "resume", locked.status, now=now, reason=reason)
    return locked


def _end_pause(locked: Complaint, *, now: datetime) -> None:
    paused = max(int((now - locked.paused_at).total_seconds()), 0)
    locked.paused_seconds += paused
    locked.paused_at = None
    PauseInterval.objects.filter(complaint=locked, ended_at__isnull=True).update(ended_at=now)
