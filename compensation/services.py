"""Every write to a compensation claim goes through here: check, lock, transition, audit.

The claim's audit row, the complaint's (the customer's timeline) and the signal are written in
one transaction under the claim's lock, and separation of duties (compensation.approval) is
enforced here so every surface obeys it. See docs/compensation.md, "Claims".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from complaints import hooks
from complaints import services as complaint_services
from complaints.models import OPEN_STATES, Complaint
from complaints.services import audit
from kernel import refdata, workflow
from kernel.actors import Actor, is_user
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable

from . import approval
from .amounts import ClaimFacts, InvalidFacts, Quote, quote, validate_facts
from .carrier_policies import InvalidPolicy
from .inputs import FieldErrors, Override, parse_money, parse_text
from .models import (
    ACTIVE_CLAIM_STATES,
    CURRENCY,
    Claim,
    ClaimEvent,
    ClaimStatus,
    CompensationPolicy,
)
from .timers import claim_due_times

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _refresh_timers(claim: Claim, now: datetime) -> None:
    """The SLA engine decides when the sweep looks at the claim next (complaints.hooks)."""
    hooks.refresh_record_timers(claim, now=now)


__all__ = ["Override"]  # re-exported: callers build it next to the service that takes it

# Events on the complaint's audit trail (and complaint_changed), for the timeline and SMS.
EVENT_PROPOSED = "claim_proposed"  # internal: the amount is not decided yet
EVENT_APPROVED = "claim_approved"  # customer-facing: decision and amount
EVENT_REJECTED = "claim_rejected"  # customer-facing: decision and reason
EVENT_PAID = "claim_paid"  # customer-facing: amount, date and payment reference
CUSTOMER_EVENTS = frozenset({EVENT_APPROVED, EVENT_REJECTED, EVENT_PAID})

# Words for "cannot be … now" refusals (their own context: the buttons say it differently).
ACTION_LABELS = {
    "approve": pgettext_lazy("refused action", "批准"),
    "reject": pgettext_lazy("refused action", "驳回"),
    "pay": pgettext_lazy("refused action", "登记赔付"),
}


def _conf(key: str) -> Any:
    return settings.COMPENSATION[key]


def approval_threshold() -> Decimal:
    """Amounts above this (yuan) need a supervisor; at or below it an agent may approve."""
    return Decimal(str(_conf("APPROVAL_THRESHOLD")))


def approval_limits() -> approval.ApprovalLimits:
    """The separation-of-duties limits from settings.COMPENSATION (docs/compensation.md)."""
    return approval.ApprovalLimits(
        threshold=approval_threshold(),
        agent_daily_limit=Decimal(str(_conf("AGENT_DAILY_APPROVAL_LIMIT"))),
        override_review_multiple=Decimal(str(_conf("OVERRIDE_REVIEW_MULTIPLE"))),
        payer_not_approver=bool(_conf("PAYER_NOT_APPROVER")),
    )


# --- Who may do what: the approval rules live here and in approval.py, nowhere else ----------

# Claims whose money is committed: what the complaint's threshold adds up (a rejection frees it).
COMMITTED_STATES = (ClaimStatus.APPROVED, ClaimStatus.PAID)

SUPERVISOR_REASON_TEXT = {
    approval.SupervisorReason.OVERRIDE_ABOVE_QUOTE: _lazy(
        "调整金额¥%(amount)s高于规则计算金额¥%(quoted)s"
    ),
    approval.SupervisorReason.COMPLAINT_TOTAL: _lazy(
        "该工单累计批准金额将达¥%(total)s，超过审批限额¥%(threshold)s"
    ),
    approval.SupervisorReason.AGENT_DAILY_TOTAL: _lazy(
        "您今日累计批准金额将达¥%(today)s，超过每日限额¥%(daily)s"
    ),
}
DUTY_CONFLICT_TEXT = {
    approval.DutyConflict.OWN_PROPOSAL: _lazy(
        "不能审批自己提出的赔偿申请：提出人与审批人须为不同的人。"
    ),
    approval.DutyConflict.PAYING_OWN_PROPOSAL: _lazy(
        "不能为自己提出的赔偿申请登记赔付：提出人与赔付登记人须为不同的人。"
    ),
    approval.DutyConflict.PAYING_OWN_APPROVAL: _lazy(
        "不能为自己批准的赔偿申请登记赔付：审批人与赔付登记人须为不同的人。"
    ),
}


@dataclass(frozen=True)
class ApprovalContext:
    """What the limits are measured against, read once for a complaint's claims and a user."""

    committed_on_complaint: Decimal  # approved or paid on the complaint
    approved_today: Decimal  # the user's own approvals today (Asia/Shanghai)


def committed_on_complaint(complaint_id: int, *, excluding: int | None = None) -> Decimal:
    """The amount approved or paid on a complaint, in one SQL sum (rejected claims excluded)."""
    rows = Claim.objects.filter(complaint_id=complaint_id, status__in=COMMITTED_STATES)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return rows.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def approved_today(user: User, now: datetime) -> Decimal:
    """What `user` approved today (Asia/Shanghai), summed in SQL over the claims' audit rows.

    Approvals later rejected still count: the limit is on the approvals an agent makes.
    """
    day = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    total = ClaimEvent.objects.filter(
        actor_id=user.pk, action=ClaimEvent.Action.APPROVE, at__gte=start, at__lt=end
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def approval_context(
    user: Actor | None, complaint: Complaint, *, now: datetime | None = None
) -> ApprovalContext:
    """The sums allowed_actions needs for every claim of `complaint` (two statements)."""
    now = workflow.now_or(now)
    daily = approved_today(user, now) if _is_user(user) else Decimal("0.00")
    return ApprovalContext(committed_on_complaint(complaint.pk), daily)


def _committed_before(claim: Claim, context: ApprovalContext) -> Decimal:
    # The complaint's committed total without this claim's own amount.
    own = claim.amount if claim.status in COMMITTED_STATES else Decimal("0.00")
    return context.committed_on_complaint - own


def claim_supervisor_reasons(
    claim: Claim, committed_before: Decimal
) -> tuple[approval.SupervisorReason, ...]:
    """Why this claim needs a supervisor whoever approves it (override, complaint total)."""
    return approval.claim_supervisor_reasons(
        amount=claim.amount,
        quoted=claim.quoted_amount,
        override=claim.override_amount,
        approved_before=committed_before,
        limits=approval_limits(),
    )


def needs_supervisor(claim: Claim, context: ApprovalContext) -> bool:
    """SPEC §5 and issue 19: only a supervisor may approve this claim."""
    return bool(claim_supervisor_reasons(claim, _committed_before(claim, context)))


def _is_user(user: Actor | None) -> TypeGuard[User]:
    return is_user(user) and user.is_active


def _decision_refusal(
    user: Actor | None,
    claim: Claim,
    step: approval.Step,
    *,
    committed_before: Decimal,
    today: Decimal,
) -> str | None:
    """The Chinese reason `user` may not approve or reject `claim`, or None when they may.

    Supervisors (`compensation.approve_claim`) decide any amount; agents
    (`compensation.approve_small_claim`) only a claim that needs no supervisor and, to approve
    it, within their daily limit. Rejecting is a decision like approving: whoever may not
    approve a claim may not refuse it either — but it moves no money, so neither the daily
    limit nor the proposer's own claim stops it.
    """
    if not _is_user(user):
        return _("您没有权限审批赔偿申请。")
    conflict = approval.duty_conflict(
        step,
        actor=user.pk,
        proposer=claim.proposed_by_id,
        approver=claim.decided_by_id,
        limits=approval_limits(),
    )
    if conflict is not None:
        return str(DUTY_CONFLICT_TEXT[conflict])
    if user.has_perm("compensation.approve_claim"):
        return None
    if not user.has_perm("compensation.approve_small_claim"):
        return _("您没有权限审批赔偿申请。")
    reasons = claim_supervisor_reasons(claim, committed_before)
    if step == approval.Step.APPROVE:
        reasons += approval.agent_supervisor_reasons(
            amount=claim.amount, approved_today=today, limits=approval_limits()
        )
    if not reasons:
        return None
    limits = approval_limits()
    values = {
        "amount": claim.amount,
        "quoted": claim.quoted_amount,
        "total": committed_before + claim.amount,
        "threshold": limits.threshold,
        "today": today + claim.amount,
        "daily": limits.agent_daily_limit,
    }
    why = "；".join(str(SUPERVISOR_REASON_TEXT[r]) % values for r in reasons)
    return _("%(why)s，须由质量监控主管审批。") % {"why": why}


def _payment_refusal(user: Actor | None, claim: Claim) -> str | None:
    if not _is_user(user) or not user.has_perm("compensation.pay_claim"):
        return _("您没有权限办理此项赔偿操作。")
    conflict = approval.duty_conflict(
        approval.Step.PAY,
        actor=user.pk,
        proposer=claim.proposed_by_id,
        approver=claim.decided_by_id,
        limits=approval_limits(),
    )
    return None if conflict is None else str(DUTY_CONFLICT_TEXT[conflict])


def allowed_actions(user: Actor | None, claim: Claim, context: ApprovalContext) -> dict[str, bool]:
    """The buttons to show: which next steps `user` may take on `claim` now."""
    before = _committed_before(claim, context)

    def may(step: approval.Step) -> bool:
        return (
            _decision_refusal(
                user, claim, step, committed_before=before, today=context.approved_today
            )
            is None
        )

    return {
        "approve": claim.status == ClaimStatus.PROPOSED and may(approval.Step.APPROVE),
        "reject": claim.status in ACTIVE_CLAIM_STATES and may(approval.Step.REJECT),
        "pay": claim.status == ClaimStatus.APPROVED and _payment_refusal(user, claim) is None,
    }


def may_propose(user: Actor | None, complaint: Complaint) -> bool:
    """Whether `user` may propose a claim on `complaint` (state aside)."""
    try:
        _authorize(user, "propose_claim", complaint)
    except (NotAllowed, NotFound):
        return False
    return True


def _authorize(by: Actor | None, perm: str, complaint: Complaint) -> User:
    """`by`, when a staff user who may see `complaint` and holds compensation.`perm`."""
    if not is_user(by):  # customers and the system never handle claims
        raise NotAllowed(_("赔偿只能由员工办理。"))
    # The complaint's own rule: inactive users refused, another unit's complaint is NotFound.
    complaint_services.authorize(by, "view_complaint", complaint)
    if not by.has_perm(f"compensation.{perm}"):
        raise NotAllowed(_("您没有权限办理此项赔偿操作。"))
    return by


def get_claim_for_staff(*, complaint: Complaint, claim_id: int, by: Actor) -> Claim:
    """Find a claim of `complaint` the user may see, or NotFound."""
    _authorize(by, "view_claim", complaint)
    if not 0 < claim_id < 2**63:  # beyond bigint the database would raise, not answer
        raise NotFound(_("赔偿申请不存在。"))
    claim: Claim | None = Claim.objects.filter(complaint=complaint, pk=claim_id).first()
    if claim is None:
        raise NotFound(_("赔偿申请不存在。"))
    return claim


def claims_for_staff(*, complaint: Complaint, by: Actor) -> QuerySet[Claim]:
    """The claims of a complaint with their events, newest first (constant queries)."""
    _authorize(by, "view_claim", complaint)
    rows: QuerySet[Claim] = (
        Claim.objects.filter(complaint=complaint)
        .select_related("complaint", "policy", "proposed_by", "decided_by", "paid_by")
        .prefetch_related("events__actor")
        .order_by("-proposed_at", "-id")
    )
    return rows


# --- Policies and quotes ------------------------------------------------------------------


def default_policy() -> CompensationPolicy:
    """The company's default policy row (seeded on migrate from the default preset)."""
    row: CompensationPolicy | None = CompensationPolicy.objects.filter(
        is_default=True, is_active=True
    ).first()
    if row is None:
        raise Unavailable(_("未设置公司默认赔偿规则，请联系管理员在后台设置。"))
    return row


def resolve_policy(code: str | None) -> CompensationPolicy:
    """The active policy named `code`, or the company default; InvalidInput when unknown."""
    if code is None:
        return default_policy()
    row: CompensationPolicy | None = CompensationPolicy.objects.filter(
        code=code, is_active=True
    ).first()
    if row is None:
        message = _("赔偿规则“%(code)s”不存在或已停用。") % {"code": code}
        raise InvalidInput(message, field_errors={"policy": message})
    return row


def _quote(facts: ClaimFacts, policy: CompensationPolicy, *, today: date | None = None) -> Quote:
    """Quote on today's Asia/Shanghai date and the supervisors' calendar (邮政法 art. 49)."""
    try:
        carrier = policy.to_policy()
    except (InvalidPolicy, ValueError) as exc:  # a row edited outside the admin's checks
        message = _("赔偿规则“%(code)s”配置有误：%(error)s") % {"code": policy.code, "error": exc}
        raise InvalidInput(message, field_errors={"policy": message}) from exc
    errors = validate_facts(facts)
    if errors:
        raise InvalidInput(_("提交的赔偿信息有误，请修改后重试。"), field_errors=errors)
    try:
        return quote(
            facts,
            carrier,
            today=today or timezone.localdate(),
            calendar=refdata.current()["calendar"],
        )
    except InvalidFacts as exc:  # a date after today
        raise InvalidInput(
            _("提交的赔偿信息有误，请修改后重试。"), field_errors=exc.errors
        ) from exc


def require_quote_right(by: Actor) -> None:
    """Whoever may propose a claim may compute one; partners and customers may not."""
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if not by.has_perm("compensation.propose_claim"):
        raise NotAllowed(_("您没有权限计算赔偿金额。"))


def compensation_quote(*, facts: ClaimFacts, policy: CompensationPolicy, by: Actor) -> Quote:
    """Compute a quote without storing anything (the calculator and the live quote)."""
    require_quote_right(by)
    return _quote(facts, policy)


# --- Audit ----------------------------------------------------------------------------------


def _event(
    claim: Claim,
    by: User,
    action: str,
    from_status: str,
    *,
    now: datetime,
    reason: str = "",
    **details: Any,
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        at=now,
        actor=by,
        action=action,
        from_status=from_status,
        to_status=claim.status,
        amount=claim.amount,
        reason=reason,
        details=details,
    )


def _complaint_audit(
    complaint: Complaint,
    claim: Claim,
    by: Actor,
    event: str,
    *,
    now: datetime,
    reason: str = "",
    **extra: Any,
) -> None:
    """Record the claim step on the complaint's trail and tell listeners (SMS, webhooks)."""
    audit.record(
        complaint,
        by,
        event,
        complaint.status,
        now=now,
        reason=reason,
        claim_id=claim.pk,
        claim_status=claim.status,
        amount=str(claim.amount),
        currency=CURRENCY,
        **extra,
    )


# --- The workflow ---------------------------------------------------------------------------


@transaction.atomic
def claim_propose(
    *,
    complaint: Complaint,
    by: Actor,
    facts: ClaimFacts,
    policy: CompensationPolicy | None = None,
    override: Override | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Claim:
    """Propose a claim: store the facts and the engine's quote (or an override with its reason).

    One claim in progress per complaint; the complaint must still be open. The claim timers
    start now (loss: settle within 72 h; damage: assess within 48 h).
    """
    now = workflow.now_or(now)
    by = _authorize(by, "propose_claim", complaint)
    errors = FieldErrors()
    note = parse_text(note, "note", errors, label=_("申请说明"), max_len=2000, required=False)
    override_amount = None
    override_reason = ""
    if override is not None:
        override_amount = parse_money(override.amount, "override_amount", errors)
        if override_amount is None and "override_amount" not in errors:
            errors["override_amount"] = _("请填写调整后的金额")
        override_reason = parse_text(
            override.reason,
            "override_reason",
            errors,
            label=_("调整理由"),
            max_len=2000,
            required=True,
        )
    errors.raise_if_any()
    policy = policy or default_policy()
    if not policy.is_active:
        message = _("赔偿规则“%(code)s”已停用。") % {"code": policy.code}
        raise InvalidInput(message, field_errors={"policy": message})
    result = _quote(facts, policy, today=timezone.localdate(now))

    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in OPEN_STATES:
        raise Conflict(
            _("工单已%(status)s，不能再提出赔偿申请。") % {"status": locked.get_status_display()}
        )
    active = Claim.objects.filter(complaint=locked, status__in=ACTIVE_CLAIM_STATES).first()
    if active is not None:
        raise Conflict(
            _("该工单已有进行中的赔偿申请（#%(pk)s，%(status)s），请先办结后再提出新的申请。")
            % {"pk": active.pk, "status": active.get_status_display()}
        )
    assess_due, settle_due = claim_due_times(
        # The quote decided whether a delay is a loss (express: the policy's days; postal:
        # 邮政法 art. 49): its incident, not the days again.
        incident=result.applied_incident or facts.incident,
        delay_days=0,
        deemed_lost_after_days=policy.deemed_lost_after_days,
        claimed_at=now,
        loss_settle_hours=_conf("LOSS_SETTLE_HOURS"),
        damage_assess_hours=_conf("DAMAGE_ASSESS_HOURS"),
    )
    claim: Claim = Claim(
        complaint=locked,
        service=facts.service.value,
        incident=facts.incident.value,
        insured=facts.insured,
        insured_amount=facts.insured_amount,
        full_value=facts.full_value,
        actual_loss=facts.actual_loss,
        freight=facts.freight,
        addon_fees=facts.addon_fees,
        delay_days=facts.delay_days,
        force_majeure=facts.force_majeure,
        goods_nature_or_sender_fault=facts.goods_nature_or_sender_fault,
        carrier_gross_negligence=facts.carrier_gross_negligence,
        limit_clause_shown=facts.limit_clause_shown,
        value_evidence=facts.value_evidence,
        posted_on=facts.posted_on,
        queried_on=facts.queried_on,
        international=facts.international,
        remote_area=facts.remote_area,
        policy=policy,
        policy_snapshot=policy.to_policy().to_dict(),
        quoted_amount=result.amount,
        basis=result.basis.value,
        steps=result.to_dict()["steps"],
        needs_review=result.needs_review,
        review_reasons=list(result.review_reasons),
        override_amount=override_amount,
        override_reason=override_reason,
        override_flagged=approval.override_flagged(
            quoted=result.amount, override=override_amount, limits=approval_limits()
        ),
        amount=override_amount if override_amount is not None else result.amount,
        proposed_by=by,
        proposed_at=now,
        note=note,
        assess_due=assess_due,
        settle_due=settle_due,
    )
    _refresh_timers(claim, now)
    try:
        with transaction.atomic():  # a savepoint: the constraint is the last line of defence
            claim.save()
    except IntegrityError as exc:
        raise Conflict(_("该工单已有进行中的赔偿申请，请刷新后再操作。")) from exc
    # Under the complaint's lock: no other claim of it can be approved meanwhile.
    reasons = claim_supervisor_reasons(claim, committed_on_complaint(locked.pk))
    _event(
        claim,
        by,
        ClaimEvent.Action.PROPOSE,
        "",
        now=now,
        reason=override_reason or note,
        quoted_amount=str(result.amount),
        overridden=override_amount is not None,
        override_flagged=claim.override_flagged,
        policy=policy.code,
        needs_review=result.needs_review,
        needs_supervisor=bool(reasons),
        supervisor_reasons=[r.value for r in reasons],
    )
    _complaint_audit(
        locked,
        claim,
        by,
        EVENT_PROPOSED,
        now=now,
        quoted_amount=str(result.amount),
        needs_supervisor=bool(reasons),
        override_flagged=claim.override_flagged,
    )
    return claim


def _lock(claim: Claim, *, by: Actor, perm: str) -> Claim:
    """Lock the claim row and check again on what is locked (issue 19 §8).

    The actor's right and scope are checked on the complaint as it is now — reassigned away
    from a branch since the caller read it, the claim is "not found" for that branch — and a
    claim that changed state since the caller read it is a Conflict.
    """
    locked: Claim = workflow.lock(
        Claim.objects.select_related("complaint"),
        claim.pk,
        not_found=_("赔偿申请不存在。"),
        of=("self",),
    )
    _authorize(by, perm, locked.complaint)
    if locked.status != claim.status:
        raise Conflict(
            _("赔偿申请已被他人处理，当前状态为“%(status)s”，请刷新后再操作。")
            % {"status": locked.get_status_display()}
        )
    return locked


def _run(locked: Claim, name: str) -> str:
    """Run the FSM transition `name` in memory; return the state it left."""
    return workflow.run_transition(
        locked,
        name,
        refused=_("赔偿申请当前状态为“%(status)s”，不能%(action)s。"),
        labels=ACTION_LABELS,
    )


def _save(locked: Claim) -> None:
    workflow.save(locked, conflict=_("赔偿申请已被他人处理，请刷新后再操作。"))


def _require_decision_right(
    by: User, locked: Claim, step: approval.Step, now: datetime
) -> dict[str, Any]:
    """Refuse unless `by` may approve or reject the locked claim; return what was measured.

    The sums are read in SQL under the claim's lock. An agent's approvals of the day are
    serialised on a transaction-scoped advisory lock of their own, so two approvals by one
    agent at once cannot both fit under the daily limit that only one of them fits under.
    """
    if (
        step == approval.Step.APPROVE
        and not by.has_perm("compensation.approve_claim")
        and by.has_perm("compensation.approve_small_claim")
    ):
        _lock_approver(by)
        today = approved_today(by, now)
    else:
        today = Decimal("0.00")
    before = committed_on_complaint(locked.complaint_id, excluding=locked.pk)
    refusal = _decision_refusal(by, locked, step, committed_before=before, today=today)
    if refusal is not None:
        raise NotAllowed(refusal)
    reasons = claim_supervisor_reasons(locked, before)
    return {
        "approver_role": "supervisor" if by.has_perm("compensation.approve_claim") else "agent",
        "complaint_total": str(before + locked.amount),
        "supervisor_reasons": [r.value for r in reasons],
    }


# pg_advisory_xact_lock(class, key): the class keeps these keys apart from other advisory locks.
APPROVER_LOCK_CLASS = 19_01


def _lock_approver(user: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [APPROVER_LOCK_CLASS, user.pk])


@transaction.atomic
def claim_approve(*, claim: Claim, by: Actor, note: str = "", now: datetime | None = None) -> Claim:
    """待审批 → 已批准, never by the proposer; by a supervisor when the claim needs one.

    An agent approves alone only a claim with no override above the quote that keeps the
    complaint's approved total and the agent's approvals of the day within their limits.
    """
    now = workflow.now_or(now)
    by = _authorize(by, "view_claim", claim.complaint)
    errors = FieldErrors()
    note = parse_text(note, "note", errors, label=_("审批意见"), max_len=2000, required=False)
    errors.raise_if_any()
    locked = _lock(claim, by=by, perm="view_claim")
    from_status = _run(locked, "approve")  # in memory: a refusal below rolls it back
    measured = _require_decision_right(by, locked, approval.Step.APPROVE, now)
    locked.decided_by = by
    locked.decided_at = now
    _refresh_timers(locked, now)  # a decision ends the assessment, payment the settlement
    _save(locked)
    _event(
        locked,
        by,
        ClaimEvent.Action.APPROVE,
        from_status,
        now=now,
        reason=note,
        proposed_by=locked.proposed_by_id,
        override_flagged=locked.override_flagged,
        **measured,
    )
    _complaint_audit(locked.complaint, locked, by, EVENT_APPROVED, now=now)
    return locked


@transaction.atomic
def claim_reject(*, claim: Claim, by: Actor, reason: str, now: datetime | None = None) -> Claim:
    """待审批/已批准 → 已驳回, with the reason the customer is told."""
    now = workflow.now_or(now)
    by = _authorize(by, "view_claim", claim.complaint)
    errors = FieldErrors()
    reason = parse_text(reason, "reason", errors, label=_("驳回原因"), max_len=2000, required=True)
    errors.raise_if_any()
    locked = _lock(claim, by=by, perm="view_claim")
    from_status = _run(locked, "reject")  # in memory: a refusal below rolls it back
    _require_decision_right(by, locked, approval.Step.REJECT, now)
    locked.decided_by = by
    locked.decided_at = now
    locked.rejection_reason = reason
    _refresh_timers(locked, now)  # a decision ends the assessment, payment the settlement
    _save(locked)
    _event(locked, by, ClaimEvent.Action.REJECT, from_status, now=now, reason=reason)
    _complaint_audit(locked.complaint, locked, by, EVENT_REJECTED, now=now, reason=reason)
    return locked


@transaction.atomic
def claim_pay(
    *,
    claim: Claim,
    by: Actor,
    payment_reference: str,
    paid_on: date | None,
    now: datetime | None = None,
) -> Claim:
    """已批准 → 已赔付: record the payment (reference and date) that settled the claim.

    Never by the proposer; nor by the approver when COMPENSATION["PAYER_NOT_APPROVER"].
    """
    now = workflow.now_or(now)
    by = _authorize(by, "pay_claim", claim.complaint)
    errors = FieldErrors()
    payment_reference = parse_text(
        payment_reference,
        "payment_reference",
        errors,
        label=_("支付凭证号"),
        max_len=64,
        required=True,
    )
    today = timezone.localdate(now)
    if paid_on is None:
        errors.setdefault("paid_on", _("请填写赔付日期"))
    elif paid_on > today:
        errors["paid_on"] = _("赔付日期不能晚于今天")
    elif paid_on < timezone.localdate(claim.complaint.accepted_at):
        errors["paid_on"] = _("赔付日期不能早于投诉受理日期")
    errors.raise_if_any()
    paid_on = cast(date, paid_on)  # a missing date was refused above with the field's error
    locked = _lock(claim, by=by, perm="pay_claim")
    from_status = _run(locked, "pay")  # in memory: a refusal below rolls it back
    refusal = _payment_refusal(by, locked)
    if refusal is not None:
        raise NotAllowed(refusal)
    locked.paid_by = by
    locked.paid_at = now
    locked.paid_on = paid_on
    locked.payment_reference = payment_reference
    _refresh_timers(locked, now)  # a decision ends the assessment, payment the settlement
    _save(locked)
    _event(
        locked,
        by,
        ClaimEvent.Action.PAY,
        from_status,
        now=now,
        payment_reference=payment_reference,
        paid_on=paid_on.isoformat(),
        proposed_by=locked.proposed_by_id,
        approved_by=locked.decided_by_id,
    )
    _complaint_audit(
        locked.complaint,
        locked,
        by,
        EVENT_PAID,
        now=now,
        payment_reference=payment_reference,
        paid_on=paid_on.isoformat(),
    )
    return locked
