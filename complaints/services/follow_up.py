"""Closing the loop: the follow-up call (回访), closing (闭环), reopening, the customer's rating.

Seed 001 §(四)5–6: a satisfied customer (or one with no objection, or not called with the
reason written down) closes the complaint; an unsatisfied one sends it back to the unit
(重新下发), repeat count + 1 — so does a low rating during the follow-up. Reopening after
closing is allowed within the reopen window (SPEC §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import Conflict, InvalidInput, NotAllowed
from kernel.workflow import now_or

from .. import rules
from ..models import Channel, Complaint, FollowUp, FollowUpOutcome, Status
from .audit import record
from .authorization import CUSTOMER, authorize, staff_user
from .intake import NewComplaint, complaint_create
from .steps import _conf, lock_complaint, require_text, run_transition, save_complaint


@transaction.atomic
def complaint_start_follow_up(
    *, complaint: Complaint, by: Actor, now: datetime | None = None
) -> Complaint:
    """反馈 → 回访: the customer-service centre starts the follow-up call."""
    now = now_or(now)
    authorize(by, "follow_up_complaint", complaint)
    locked = lock_complaint(complaint, by=by, perm="follow_up_complaint")
    from_state = run_transition(locked, "start_follow_up")
    save_complaint(locked, now=now)
    record(locked, by, "start_follow_up", from_state, now=now)
    return locked


@transaction.atomic
def complaint_record_follow_up(
    *,
    complaint: Complaint,
    by: Actor,
    outcome: str,
    customer_words: str = "",
    reply_truthful: bool | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Record the follow-up call (回访) and close the loop or send it back (seed 001 §(四)5–6).

    Satisfied or no objection → 闭环. Not satisfied → 重新下发 to the unit, repeat count + 1.
    Not called (the seed allows it with the reason written down) → 闭环 with that reason.
    From 反馈 the call is started implicitly: one click for the agent, two audit rows.
    """
    now = now_or(now)
    authorize(by, "follow_up_complaint", complaint)
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput(_("回访结果无效。"), field_errors={"outcome": _("回访结果无效。")})
    words = (customer_words or "").strip()
    if outcome != FollowUpOutcome.SATISFIED and not words:
        label = _("客户意见") if outcome == FollowUpOutcome.UNSATISFIED else _("不回访原因")
        raise InvalidInput(
            _("请填写%(label)s。") % {"label": label},
            field_errors={"customer_words": _("请填写%(label)s。") % {"label": label}},
        )
    locked = lock_complaint(complaint, by=by, perm="follow_up_complaint")
    if locked.status == Status.ANSWERED:
        from_state = run_transition(locked, "start_follow_up")
        save_complaint(locked, now=now)
        record(locked, by, "start_follow_up", from_state, now=now)
    elif locked.status != Status.FOLLOW_UP:
        raise Conflict(
            _("工单当前状态为“%(status)s”，不能回访。") % {"status": locked.get_status_display()}
        )
    FollowUp.objects.create(
        complaint=locked,
        by=staff_user(by),
        at=now,
        outcome=outcome,
        customer_words=words,
        reply_truthful=reply_truthful,
    )
    locked.follow_up_at = now
    if outcome == FollowUpOutcome.UNSATISFIED:
        locked.satisfied = False
        _reopen(locked, by, reason=words, now=now)
    else:
        locked.satisfied = True if outcome == FollowUpOutcome.SATISFIED else locked.satisfied
        from_state = run_transition(locked, "close")
        locked.closed_at = now
        save_complaint(locked, now=now)
        record(locked, by, "close", from_state, now=now, reason=words, outcome=outcome)
    return locked


def _reopen(locked: Complaint, by: Actor, *, reason: str, now: datetime) -> None:
    from_state = run_transition(locked, "reopen")
    locked.repeat_count += 1
    locked.reopened_at = now
    locked.answered_at = None
    locked.closed_at = None
    locked.paused_seconds = 0
    save_complaint(locked, now=now)
    record(
        locked, by, "reopen", from_state, now=now, reason=reason, repeat_count=locked.repeat_count
    )


@transaction.atomic
def complaint_reopen(
    *, complaint: Complaint, by: Actor, reason: str, now: datetime | None = None
) -> Complaint:
    """闭环 → 核实: staff send it back for the customer, within the reopen window.

    After the window a new complaint is created and linked instead (SPEC §2). The customer's
    own reopen is complaint_reopen_by_customer.
    """
    now = now_or(now)
    authorize(by, "follow_up_complaint", complaint)
    reason = require_text(reason, "reason", _("重新下发原因"))
    locked = lock_complaint(complaint, by=by, perm="follow_up_complaint")
    if locked.status == Status.CLOSED and not _in_reopen_window(locked, now):
        raise Conflict(
            _("工单闭环已超过%(days)s天，不能重新打开，请新建投诉（系统将自动关联）。")
            % {"days": _conf("REOPEN_WINDOW_DAYS")}
        )
    _reopen(locked, by, reason=reason, now=now)
    return locked


def _in_reopen_window(complaint: Complaint, now: datetime) -> bool:
    return rules.reopen_window_open(
        closed_at=complaint.closed_at, now=now, window_days=_conf("REOPEN_WINDOW_DAYS")
    )


@dataclass(frozen=True)
class CustomerReopen:
    """What the customer's "not satisfied" led to: the complaint reopened, or a new one."""

    complaint: Complaint  # the reopened complaint, or the new one linked to it
    access_code: str | None = None  # the new complaint's code (shown once); None if reopened

    @property
    def refiled(self) -> bool:
        return self.access_code is not None


@transaction.atomic
def complaint_reopen_by_customer(
    *, complaint: Complaint, reason: str, now: datetime | None = None
) -> CustomerReopen:
    """The customer is not satisfied with the outcome (SPEC §2, seed 001 §(四)5).

    In follow-up, or closed within the reopen window (default 7 days, its last instant
    included): reopened (重新下发) to the unit, repeat count + 1. Closed longer ago: a new
    complaint linked to this one (repeat_of), with a new access code. Both audited as the
    customer's own act.
    """
    now = now_or(now)
    authorize(CUSTOMER, "follow_up_complaint", complaint, action="reopen")
    reason = require_text(reason, "reason", _("不满意的原因"))
    locked: Complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status == Status.FOLLOW_UP or (
        locked.status == Status.CLOSED and _in_reopen_window(locked, now)
    ):
        locked.satisfied = False
        _reopen(locked, CUSTOMER, reason=reason, now=now)
        return CustomerReopen(locked)
    if locked.status != Status.CLOSED:
        raise Conflict(
            _("工单当前状态为“%(status)s”，回访或闭环后才能提出不满意。")
            % {"status": locked.get_status_display()}
        )
    return _refile(locked, reason=reason, now=now)


def _refile(old: Complaint, *, reason: str, now: datetime) -> CustomerReopen:
    """File a new complaint for an old closed one the customer is still unhappy with."""
    new, code = complaint_create(
        data=NewComplaint(
            tracking_no=old.tracking_no,
            complainant_name=old.complainant_name,
            phone=old.phone,
            party=old.party,
            category=old.category,
            # Data, kept in the source language like the customer's own words.
            description=f"对已闭环工单{old.ticket_no}的处理结果不满意：{reason}",
            channel=Channel.API,
            demand=old.demand,
            demand_detail=old.demand_detail,
            service=old.service,
            insured=old.insured,
            insured_amount=old.insured_amount,
            declared_value=old.declared_value,
            freight=old.freight,
            unit_code=old.unit.code if old.unit is not None and old.unit.is_active else "",
            key_account=old.key_account,
            urgent_contents=old.urgent_contents,
        ),
        by=CUSTOMER,
        now=now,
    )
    # SPEC §2: linked to the old one whatever the repeat window says.
    new.repeat_of = old
    new.repeat_count = max(new.repeat_count, old.repeat_count + 1)
    new.save(update_fields=["repeat_of", "repeat_count"])
    record(old, CUSTOMER, "refile", old.status, now=now, reason=reason, new_ticket=new.ticket_no)
    return CustomerReopen(new, code)


# A score at or below this during the follow-up counts as "unsatisfied" (不满意) and sends the
# complaint back for handling, like an unsatisfied follow-up call (seed 001 §(四)6).
UNSATISFIED_SCORE = 2
RATEABLE_STATES = (Status.FOLLOW_UP, Status.CLOSED)


@transaction.atomic
def complaint_rate(
    *, complaint: Complaint, by: Actor, score: int, comment: str = "", now: datetime | None = None
) -> Complaint:
    """The customer rates the outcome (1–5) once it is answered: in follow-up or closed.

    The rating is the customer's alone (issue 19 §5): staff, partners and the system are
    refused. The customer may change it only while a "not satisfied" would still reopen the
    complaint — in the follow-up, or within the reopen window after closing (docs/api.md);
    after that the rating given stands. A low score (≤ 2) in that window is the customer
    saying "not satisfied": the complaint is reopened (重新下发) to the unit, repeat count + 1,
    exactly as an unsatisfied follow-up call.
    """
    now = now_or(now)
    if by != CUSTOMER:
        raise NotAllowed(_("满意度评价只能由客户本人提交。"))
    authorize(by, "follow_up_complaint", complaint, action="rating")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(
            _("评分必须是1到5的整数。"), field_errors={"score": _("评分必须是1到5的整数。")}
        )
    comment = (comment or "").strip()[:1000]
    locked: Complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in RATEABLE_STATES:
        raise Conflict(
            _("工单当前状态为“%(status)s”，答复并进入回访后才能评价。")
            % {"status": locked.get_status_display()}
        )
    # SPEC §2: "not satisfied" in the follow-up, or within the reopen window after closing,
    # sends it back to the unit; later, only the reopen action (a new linked complaint) does.
    in_window = locked.status == Status.FOLLOW_UP or (
        locked.status == Status.CLOSED and _in_reopen_window(locked, now)
    )
    if locked.rating is not None and not in_window:
        raise Conflict(
            _("您已于%(at)s评价，闭环超过%(days)s天后不能再修改评价。")
            % {
                "at": date_format(timezone.localtime(locked.rated_at), "Y年n月j日 H:i")
                if locked.rated_at
                else "",
                "days": _conf("REOPEN_WINDOW_DAYS"),
            }
        )
    previous = locked.rating
    locked.rating = score
    locked.rated_at = now
    save_complaint(locked, now=now)
    record(
        locked, by, "rate", locked.status, now=now, reason=comment, score=score, previous=previous
    )
    if score <= UNSATISFIED_SCORE and in_window:
        locked.satisfied = False
        _reopen(locked, by, reason=comment or f"客户评价不满意（{score}分）", now=now)
    return locked
