"""Changing a complaint's category (投诉类别) by hand, with a reason (issue 20 §1: macros).

What depends on the category (cluster, repeat link, deadlines, the dashboard's day) moves with
it in the same transaction. See docs/playbook.md, "Changing the category (issue 20 §1)".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import Conflict, InvalidInput
from kernel.workflow import now_or

from ..models import OPEN_STATES, Category, Complaint, Status
from .audit import record
from .authorization import authorize
from .steps import _conf, lock_complaint, require_text, save_complaint
from .urgency import _apply_urgency, _audit_raised_priority, _cluster_count, _escalate_cluster

# Classifying a complaint is the triage of those who dispatch it (agents, supervisors); branch
# staff answer what they are sent and may not move it between categories.
PERMISSION = "dispatch_complaint"


def _earlier_in_category(complaint: Complaint) -> Complaint | None:
    """The earlier complaint of the same phone in the complaint's category it repeats, if any."""
    since = complaint.accepted_at - timedelta(days=_conf("REPEAT_WINDOW_DAYS"))
    earlier: Complaint | None = (
        Complaint.objects.filter(
            phone=complaint.phone,
            category=complaint.category,
            accepted_at__lt=complaint.accepted_at,
        )
        .exclude(pk=complaint.pk)
        .exclude(status=Status.REJECTED)
        .filter(Q(status__in=OPEN_STATES) | Q(answered_at__gte=since) | Q(closed_at__gte=since))
        .order_by("-accepted_at")
        .only("pk", "ticket_no", "repeat_count")
        .first()
    )
    return earlier


@transaction.atomic
def complaint_set_category(
    *, complaint: Complaint, by: Actor, category: str, reason: str, now: datetime | None = None
) -> Complaint:
    """Move an open complaint to another category; the reason and old → new are audited."""
    now = now_or(now)
    authorize(by, PERMISSION, complaint)
    if category not in Category.values:
        raise InvalidInput(_("投诉类别无效。"), field_errors={"category": _("投诉类别无效。")})
    reason = require_text(reason, "reason", _("调整原因"))
    locked = lock_complaint(complaint, by=by, perm=PERMISSION, unchanged=False)
    if not locked.is_open:
        raise Conflict(
            _("工单已%(status)s，不能调整投诉类别。") % {"status": locked.get_status_display()}
        )
    if locked.category == category:
        raise Conflict(_("投诉类别没有变化。"))
    previous = locked.category
    locked.category = category
    details: dict[str, Any] = {"category": category, "previous": previous}
    if locked.repeat_of_id is None:
        earlier = _earlier_in_category(locked)
        if earlier is not None:
            locked.repeat_of_id = earlier.pk
            locked.repeat_count = earlier.repeat_count + 1
            details["repeat_of"] = earlier.ticket_no
    cluster_count = _cluster_count(locked, now=now)
    became_urgent = _apply_urgency(locked, now=now, cluster_count=cluster_count)
    save_complaint(locked, now=now)
    record(locked, by, "set_category", locked.status, now=now, reason=reason, **details)
    if became_urgent:
        _audit_raised_priority(locked, now=now)
    _escalate_cluster(locked, now=now, cluster_count=cluster_count)
    return locked
