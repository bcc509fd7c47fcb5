"""The complaint's side of lock, transition, save (kernel/workflow.py holds the shared part).

`lock_complaint` also checks the actor's right and scope again on the locked row and refuses a
state or unit that changed since the caller read it; `save_complaint` recomputes the deadlines
first. The audit row is written by audit.record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from kernel import workflow
from kernel.actors import Actor
from kernel.errors import Conflict, InvalidInput

from .. import hooks
from ..models import Complaint, Priority
from .authorization import authorize

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


def _conf(key: str) -> Any:
    return settings.COMPLAINTS[key]


def lock_complaint(
    complaint: Complaint, *, by: Actor, perm: str, action: str = "", unchanged: bool = True
) -> Complaint:
    """Lock the complaint row and check again, on the locked row, what the caller read before.

    The actor's right and scope are checked on the row as it is now (issue 19 §8): a branch
    clerk who opened a ticket before it was reassigned away finds it "not found", exactly as
    if they had opened it after. With `unchanged` (the transitions) the complaint must also
    still be in the state and at the unit the caller saw: of two people acting at once — two
    reassignments, a reassignment and a reply — one wins and the others get a Conflict, never
    a silent overwrite.
    """
    locked: Complaint = workflow.lock(Complaint.objects, complaint.pk, not_found=_("工单不存在。"))
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


def run_transition(locked: Complaint, name: str) -> str:
    """Run the FSM transition `name` in memory; return the state it left."""
    return workflow.run_transition(
        locked,
        name,
        refused=_("工单当前状态为“%(status)s”，不能%(action)s。"),
        labels=ACTION_LABELS,
    )


def track_urgency(complaint: Complaint, *, now: datetime) -> None:
    """Remember when the complaint became urgent (or external), or forget it when it is not.

    Its urgent targets count from that moment: a complaint must never become urgent already
    breached, nor get a later deadline than it had (escalation.schedule, issue 18).
    """
    if complaint.priority != Priority.URGENT and not complaint.is_external:
        complaint.urgent_since = None
    elif complaint.urgent_since is None:
        complaint.urgent_since = now


def save_complaint(locked: Complaint, *, now: datetime) -> None:
    """Recompute the deadlines (escalation/sla_deadlines.py) and save."""
    track_urgency(locked, now=now)
    hooks.refresh_deadlines(locked, now=now)
    workflow.save(locked, conflict=_("工单已被他人处理，请刷新后再操作。"))


def require_text(text: str, field: str, label: str) -> str:
    """The stripped text, or InvalidInput naming the missing field."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(
            _("请填写%(label)s。") % {"label": label},
            field_errors={field: _("请填写%(label)s。") % {"label": label}},
        )
    return text
