"""The flags staff set by hand: priority, chase, 投诉升级, 外部投诉, 有理由投诉.

Each keeps its reason in the audit trail. Seed 001 §(二)2 (escalated complaints), §(二)4 (a
second chase makes a general complaint urgent), §(二)5 (justified complaints); external
complaints are those the regulator forwarded (regulators/, 12305).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.actors import Actor, is_user
from kernel.errors import Conflict, InvalidInput, NotAllowed
from kernel.workflow import now_or

from .. import rules
from ..models import Complaint, Priority, Status
from .audit import record
from .authorization import authorize
from .steps import lock_complaint, require_text, run_transition, save_complaint
from .urgency import _apply_urgency, _audit_raised_priority


@transaction.atomic
def complaint_set_priority(
    *, complaint: Complaint, by: Actor, priority: str, reason: str, now: datetime | None = None
) -> Complaint:
    """Override the priority by hand; the reason is kept in the audit trail."""
    now = now_or(now)
    authorize(by, "set_priority", complaint)
    if priority not in Priority.values:
        raise InvalidInput(_("优先级无效。"), field_errors={"priority": _("优先级无效。")})
    reason = require_text(reason, "reason", _("调整原因"))
    locked = lock_complaint(complaint, by=by, perm="set_priority", unchanged=False)
    if not locked.is_open:
        raise Conflict(
            _("工单已%(status)s，不能调整优先级。") % {"status": locked.get_status_display()}
        )
    if locked.priority == priority:
        raise Conflict(_("优先级没有变化。"))
    previous = locked.priority
    locked.priority = priority
    locked.urgent_reasons = (
        [*locked.urgent_reasons, f"人工设定：{reason}"] if priority == Priority.URGENT else []
    )
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        "set_priority",
        locked.status,
        now=now,
        reason=reason,
        priority=priority,
        previous=previous,
    )
    return locked


@transaction.atomic
def complaint_chase(
    *, complaint: Complaint, by: Actor, note: str = "", now: datetime | None = None
) -> Complaint:
    """The customer chases (催促); the second chase makes a general complaint urgent."""
    now = now_or(now)
    authorize(by, "follow_up_complaint", complaint, action="chase")
    locked = lock_complaint(
        complaint, by=by, perm="follow_up_complaint", action="chase", unchanged=False
    )
    if not locked.is_open:
        raise Conflict(_("工单已%(status)s，无需催促。") % {"status": locked.get_status_display()})
    locked.chase_count += 1
    became_urgent = _apply_urgency(locked, now=now)
    save_complaint(locked, now=now)
    record(locked, by, "chase", locked.status, now=now, reason=note, chase_count=locked.chase_count)
    if became_urgent:
        _audit_raised_priority(locked, now=now)
    return locked


@transaction.atomic
def complaint_mark_escalated(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """Flag 投诉升级: the customer took it to a higher level or an authority (seed 001 §(二)2)."""
    now = now_or(now)
    authorize(by, "escalate_complaint", complaint)
    reason = require_text(reason, "reason", _("升级情况"))
    locked = lock_complaint(complaint, by=by, perm="escalate_complaint", unchanged=False)
    if locked.is_escalated:
        raise Conflict(_("工单已标记为投诉升级。"))
    locked.is_escalated = True
    _apply_urgency(locked, now=now)
    if locked.priority != Priority.URGENT:
        locked.priority = Priority.URGENT
        locked.urgent_reasons = [*locked.urgent_reasons, "投诉升级"]
    save_complaint(locked, now=now)
    record(locked, by, "escalate", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_mark_external(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """Flag 外部投诉 (the regulator forwarded it): urgent targets, 2 h follow-up (seed 001).

    Marking an already external complaint again changes nothing and writes no audit row.
    """
    now = now_or(now)
    authorize(by, "escalate_complaint", complaint)
    reason = require_text(reason, "reason", _("外部投诉来源"))
    locked = lock_complaint(complaint, by=by, perm="escalate_complaint", unchanged=False)
    if locked.is_external:
        return locked
    locked.is_external = True
    _apply_urgency(locked, now=now)
    save_complaint(locked, now=now)
    record(locked, by, "mark_external", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_reinstate_for_appeal(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """The regulator forwarded an appeal about this complaint: it is handled again (issue 18).

    Open: marked external (complaint_mark_external). Closed, rejected or withdrawn: put back
    into handling — 核实 at its unit (受理, to be dispatched, if it never had one) — external and
    so urgent, a new round whose deadlines count from now, with the reason and the state it
    left (and why it had ended) in the audit trail.
    """
    if complaint.is_open:
        return complaint_mark_external(complaint=complaint, by=by, reason=reason, now=now)
    now = now_or(now)
    authorize(by, "escalate_complaint", complaint)
    reason = require_text(reason, "reason", _("外部投诉来源"))
    locked = lock_complaint(complaint, by=by, perm="escalate_complaint", unchanged=False)
    if locked.is_open:  # reopened meanwhile: the open path
        return complaint_mark_external(complaint=locked, by=by, reason=reason, now=now)
    ended = locked.transitions.filter(transition__in=("close", "reject", "withdraw")).last()
    previous = locked.get_status_display()
    ended_at = locked.closed_at or locked.ended_at
    to_unit = locked.unit_id is not None or locked.status == Status.CLOSED
    from_state = run_transition(locked, "reinstate" if to_unit else "reinstate_for_dispatch")
    locked.reopened_at = now
    locked.answered_at = None
    locked.closed_at = None
    locked.ended_at = None
    locked.paused_seconds = 0
    locked.is_external = True
    _apply_urgency(locked, now=now)
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        "reinstate",
        from_state,
        now=now,
        reason=f"{reason}（原状态：{previous}）",
        previous_state=from_state,
        previous_reason=ended.reason if ended else "",
        merged_into=locked.merged_into.ticket_no if locked.merged_into is not None else None,
        # The day it had ended, which the dashboard's rollup must count again.
        previous_end=ended_at.isoformat() if ended_at else None,
    )
    return locked


@transaction.atomic
def complaint_set_justified(
    *,
    complaint: Complaint,
    by: Actor,
    facts_confirmed: bool,
    our_fault: bool,
    obstructed: bool,
    reason: str,
    now: datetime | None = None,
) -> Complaint:
    """Decide 有理由投诉 (seed 001 §(二)5) at or after verification, with the reason audited."""
    now = now_or(now)
    authorize(by, "set_priority", complaint)
    reason = require_text(reason, "reason", _("判定依据"))
    locked = lock_complaint(complaint, by=by, perm="set_priority", unchanged=False)
    if locked.status in (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN):
        raise Conflict(_("工单尚未核实，不能判定是否有理由。"))
    if complaint_is_ruled(locked):
        raise Conflict(_("工单已判责，有理由投诉随判责结果确定；如需更改，请重新判责。"))
    locked.justified = rules.is_justified(
        facts_confirmed=facts_confirmed, our_fault=our_fault, obstructed=obstructed
    )
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        "set_justified",
        locked.status,
        now=now,
        reason=reason,
        justified=locked.justified,
        facts_confirmed=facts_confirmed,
        our_fault=our_fault,
        obstructed=obstructed,
    )
    return locked


# The audit event of a fault ruling (rulings/, issue 22): from the first one on, 有理由投诉
# follows the complaint's current ruling and nothing else sets it.
RULING_EVENT = "ruling"


def complaint_is_ruled(complaint: Complaint) -> bool:
    """Whether a fault ruling decides this complaint's 有理由投诉 (its audit trail says so)."""
    return complaint.transitions.filter(transition=RULING_EVENT).exists()


@transaction.atomic
def complaint_apply_ruling(
    *,
    complaint: Complaint,
    by: Actor,
    justified: bool,
    reason: str,
    now: datetime | None = None,
    **details: Any,
) -> Complaint:
    """Set 有理由投诉 from a fault ruling (有责/部分有责 → True, 无责 → False), audited.

    The rulings app calls this in the ruling's transaction after checking its own rights; the
    dashboard's rollup and the regulator report then count the complaint by the one definition
    in complaints/figures.py.
    """
    now = now_or(now)
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("判责只能由员工办理。"))
    locked: Complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    previous = locked.justified
    locked.justified = justified
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        RULING_EVENT,
        locked.status,
        now=now,
        reason=reason,
        justified=justified,
        previous=previous,
        **details,
    )
    return locked
