"""The steps every write service shares: lock, transition, save, audit.

`_lock` takes the row lock, checks the actor's right and scope again on the locked row, and
refuses a state or unit that changed since the caller read it (the second of two people
acting at once gets a Conflict, never a silent overwrite); `_run` runs
the FSM transition; `_save` recomputes the deadlines (escalation/deadlines.py) and saves;
`_audit` writes the append-only ComplaintTransition row and sends `complaint_changed` inside
the transaction. Plus the settings lookup, the clock and the required-text check.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from kernel import refdata
from kernel.db import inserts
from kernel.errors import Conflict, InvalidInput, NotFound

from .. import hooks
from ..models import Complaint, ComplaintTransition, Priority
from ..signals import complaint_changed
from .access import _actor_fields, authorize

# Words for "cannot be … now" refusals (their own context: the buttons say it differently).
ACTION_LABELS = {
    "dispatch": pgettext_lazy("refused action", "下发"),
    "reassign": pgettext_lazy("refused action", "改派"),
    "reply": pgettext_lazy("refused action", "答复"),
    "start_follow_up": pgettext_lazy("refused action", "开始回访"),
    "close": pgettext_lazy("refused action", "闭环"),
    "reopen": pgettext_lazy("refused action", "重新下发"),
    "reject": pgettext_lazy("refused action", "不予受理"),
    "withdraw": pgettext_lazy("refused action", "撤诉"),
}


def _conf(key: str):
    return settings.COMPLAINTS[key]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _audit(
    complaint: Complaint,
    by,
    transition: str,
    from_state: str,
    *,
    now: datetime,
    reason: str = "",
    pk: int | None = None,
    reference: refdata.ReferenceData | None = None,
    **details,
) -> ComplaintTransition:
    actor, kind = _actor_fields(by)
    row = ComplaintTransition(
        pk=pk,  # reserved by a caller that batches its writes (complaint_create), else None
        complaint=complaint,
        at=now,
        actor=actor,
        actor_kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=complaint.status,
        reason=reason,
        details=details,
    )
    inserts.insert(row)  # the statement built once (complaints/inserts.py)
    complaint_changed.send(
        sender=Complaint,
        complaint=complaint,
        event=transition,
        actor=actor,
        details=details,
        audit=row,
        reference=reference,  # the reference data the caller read, if it did (the listeners')
    )
    return row


def _lock(complaint: Complaint, *, by, perm: str, action: str, unchanged: bool = True) -> Complaint:
    """Lock the complaint row and check again, on the locked row, what the caller read before.

    The actor's right and scope are checked on the row as it is now (issue 19 §8): a branch
    clerk who opened a ticket before it was reassigned away finds it "not found", exactly as
    if they had opened it after. With `unchanged` (the transitions) the complaint must also
    still be in the state and at the unit the caller saw: of two people acting at once — two
    reassignments, a reassignment and a reply — one wins and the others get a Conflict, never
    a silent overwrite.
    """
    try:
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    except Complaint.DoesNotExist as exc:
        raise NotFound(_("工单不存在。")) from exc
    authorize(by, perm, locked, action=action)
    if not unchanged:
        return locked
    if locked.status != complaint.status:
        raise Conflict(
            _("工单已被他人处理，当前状态为“%(status)s”，请刷新后再操作。")
            % {"status": locked.get_status_display()}
        )
    if locked.unit_id != complaint.unit_id:
        raise Conflict(_("工单已被他人改派至其他单位，请刷新后再操作。"))
    return locked


def _run(locked: Complaint, name: str) -> str:
    """Run the FSM transition `name` in memory; return the state it left."""
    method = getattr(locked, name)
    if not can_proceed(method):
        raise Conflict(
            _("工单当前状态为“%(status)s”，不能%(action)s。")
            % {"status": locked.get_status_display(), "action": ACTION_LABELS.get(name, name)}
        )
    from_state = locked.status
    method()
    return from_state


def track_urgency(complaint: Complaint, *, now: datetime) -> None:
    """Remember when the complaint became urgent (or external), or forget it when it is not.

    Its urgent targets count from that moment: a complaint must never become urgent already
    breached, nor get a later deadline than it had (escalation.schedule, issue 18).
    """
    if complaint.priority != Priority.URGENT and not complaint.is_external:
        complaint.urgent_since = None
    elif complaint.urgent_since is None:
        complaint.urgent_since = now


def _save(locked: Complaint, *, now: datetime) -> None:
    track_urgency(locked, now=now)
    hooks.refresh_deadlines(locked, now=now)
    try:
        locked.save()
    except ConcurrentTransition as exc:  # a path that did not lock the row lost the race
        raise Conflict(_("工单已被他人处理，请刷新后再操作。")) from exc


def _require(text: str, field: str, label: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(
            _("请填写%(label)s。") % {"label": label},
            field_errors={field: _("请填写%(label)s。") % {"label": label}},
        )
    return text
