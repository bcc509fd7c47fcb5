"""Moving a complaint through the loop: dispatch, reassign, reply, reject, withdraw.

受理 → 核实 (dispatch to the responsible unit, reassign to another), 核实 → 反馈 (the unit's
structured reply, 回复要素 seed 001 §(五)1, which also gives the first view of 有理由投诉,
seed 001 §(二)5), and the two ends 不予受理 / 撤诉 (SPEC §2). The follow-up, closing and
reopening are in follow_up.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import InvalidInput
from kernel.workflow import now_or

from .. import rules
from ..models import Complaint, Phrase, Reply, Status, Unit
from .assignment import audit_auto_assign, auto_assign_pick
from .audit import record
from .authorization import authorize, staff_user
from .flags import complaint_is_ruled
from .pause import _end_pause
from .steps import lock_complaint, require_text, run_transition, save_complaint
from .urgency import _apply_urgency, _audit_raised_priority, _cluster_count, _escalate_cluster


def _assignable_unit(unit: Unit | None) -> Unit:
    if unit is None or not unit.is_active:
        raise InvalidInput(
            _("请选择有效的责任单位。"), field_errors={"unit": _("请选择有效的责任单位。")}
        )
    return unit


@transaction.atomic
def complaint_dispatch(
    *, complaint: Complaint, unit: Unit, by: Actor, reason: str = "", now: datetime | None = None
) -> Complaint:
    """受理 → 核实: send the complaint to its responsible unit."""
    now = now_or(now)
    authorize(by, "dispatch_complaint", complaint)
    unit = _assignable_unit(unit)
    locked = lock_complaint(complaint, by=by, perm="dispatch_complaint")
    from_state = run_transition(locked, "dispatch")
    locked.unit = unit
    locked.dispatched_at = now
    locked.handler = None  # a 处理人 is a person of the unit it goes to (issue 20 §2)
    pick = auto_assign_pick(locked, now=now)
    cluster_count = _cluster_count(locked, now=now)  # for the urgency and the cluster's others
    became_urgent = _apply_urgency(locked, now=now, cluster_count=cluster_count)
    save_complaint(locked, now=now)
    record(locked, by, "dispatch", from_state, now=now, reason=reason, unit=unit.code)
    audit_auto_assign(locked, pick, now=now)
    if became_urgent:
        _audit_raised_priority(locked, now=now)
    _escalate_cluster(locked, now=now, cluster_count=cluster_count)
    return locked


@transaction.atomic
def complaint_reassign(
    *, complaint: Complaint, unit: Unit, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """核实 → 核实: hand the complaint to another unit; the reason is required."""
    now = now_or(now)
    authorize(by, "dispatch_complaint", complaint)
    reason = require_text(reason, "reason", _("改派原因"))
    unit = _assignable_unit(unit)
    if unit.pk == complaint.unit_id:
        raise InvalidInput(_("工单已在该单位。"), field_errors={"unit": _("请选择另一个单位。")})
    locked = lock_complaint(complaint, by=by, perm="dispatch_complaint")
    from_state = run_transition(locked, "reassign")
    previous = locked.unit.code if locked.unit else None
    previous_handler = locked.handler_id
    locked.unit = unit
    locked.dispatched_at = now
    locked.handler = None  # the handler was a person of the unit it leaves (issue 20 §2)
    pick = auto_assign_pick(locked, now=now)
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        "reassign",
        from_state,
        now=now,
        reason=reason,
        unit=unit.code,
        previous=previous,
        previous_handler=previous_handler,
    )
    audit_auto_assign(locked, pick, now=now)
    return locked


@dataclass(frozen=True)
class ReplyInput:
    basic_facts: str
    handling: str
    result: str
    customer_accepts: bool | None = None
    facts_confirmed: bool = False
    our_fault: bool = False


@transaction.atomic
def complaint_reply(
    *, complaint: Complaint, by: Actor, reply: ReplyInput, now: datetime | None = None
) -> Reply:
    """核实 → 反馈: the unit's structured reply, refused when a part is missing or vague.

    The reply also decides the first view of 有理由投诉 (seed 001 §(二)5) from the unit's own
    finding; the customer-service centre may correct it later with a reason.
    """
    now = now_or(now)
    authorize(by, "reply_complaint", complaint)
    parts = {"basic_facts": reply.basic_facts, "handling": reply.handling, "result": reply.result}
    problems = rules.reply_problems(
        parts, Phrase.active(Phrase.Kind.VAGUE_REPLY), Phrase.active(Phrase.Kind.EVASIVE_REPLY)
    )
    if problems:
        raise InvalidInput(_("答复不符合回复要素要求，请补充后再提交。"), field_errors=problems)
    locked = lock_complaint(complaint, by=by, perm="reply_complaint")
    from_state = run_transition(locked, "reply")
    if locked.is_paused:
        _end_pause(locked, now=now)
    saved = Reply.objects.create(
        complaint=locked,
        unit=locked.unit,  # type: ignore[misc]  # a replied complaint was dispatched to a unit
        by=staff_user(by),
        at=now,
        basic_facts=reply.basic_facts.strip(),
        handling=reply.handling.strip(),
        result=reply.result.strip(),
        customer_accepts=reply.customer_accepts,
        facts_confirmed=reply.facts_confirmed,
        our_fault=reply.our_fault,
    )
    locked.answered_at = now
    locked.first_answered_at = locked.first_answered_at or now
    locked.first_response_at = locked.first_response_at or now
    # Once a fault ruling decided it, a later round's reply does not (issue 22).
    if not complaint_is_ruled(locked):
        locked.justified = rules.is_justified(
            facts_confirmed=reply.facts_confirmed, our_fault=reply.our_fault, obstructed=False
        )
    save_complaint(locked, now=now)
    record(locked, by, "reply", from_state, now=now, reply_id=saved.pk, justified=locked.justified)
    return saved


@transaction.atomic
def complaint_reject(
    *,
    complaint: Complaint,
    by: Actor,
    reason: str,
    merged_into: Complaint | None = None,
    now: datetime | None = None,
) -> Complaint:
    """→ 不予受理: out of scope, or a duplicate merged into the complaint that is kept."""
    now = now_or(now)
    authorize(by, "reject_complaint", complaint)
    reason = require_text(reason, "reason", _("不予受理原因"))
    if merged_into is not None and merged_into.pk == complaint.pk:
        raise InvalidInput(
            _("不能合并到自身。"), field_errors={"merged_into": _("不能合并到自身。")}
        )
    if merged_into is not None and merged_into.status in (Status.REJECTED, Status.WITHDRAWN):
        raise InvalidInput(
            _("只能合并到有效工单。"), field_errors={"merged_into": _("只能合并到有效工单。")}
        )
    locked = lock_complaint(complaint, by=by, perm="reject_complaint")
    from_state = run_transition(locked, "reject")
    locked.merged_into = merged_into
    locked.ended_at = now
    if locked.is_paused:
        _end_pause(locked, now=now)
    save_complaint(locked, now=now)
    record(
        locked,
        by,
        "reject",
        from_state,
        now=now,
        reason=reason,
        merged_into=merged_into.ticket_no if merged_into else None,
    )
    return locked


@transaction.atomic
def complaint_withdraw(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """→ 撤诉: the customer withdraws the complaint (from any open state)."""
    now = now_or(now)
    authorize(by, "withdraw_complaint", complaint, action="withdraw")
    reason = require_text(reason, "reason", _("撤诉原因"))
    locked = lock_complaint(complaint, by=by, perm="withdraw_complaint", action="withdraw")
    from_state = run_transition(locked, "withdraw")
    locked.ended_at = now
    if locked.is_paused:
        _end_pause(locked, now=now)
    save_complaint(locked, now=now)
    record(locked, by, "withdraw", from_state, now=now, reason=reason)
    return locked
