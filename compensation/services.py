"""Every write to a compensation claim goes through here.

Each service checks the actor (branch staff only on their unit's complaints, answered as "not
found" otherwise), locks the row, runs the transition, saves, writes the claim's own audit row
and the complaint's (so the customer's timeline shows the decision and amount), and sends
complaints.signals.complaint_changed — all in one transaction. Two approvers at once: the
second waits for the row lock, sees the claim already decided and gets a Conflict.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from complaints import hooks
from complaints import services as complaint_services
from complaints.models import OPEN_STATES, ActorKind, Complaint, ComplaintTransition
from complaints.signals import complaint_changed
from kernel import refdata
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable

from .inputs import FieldErrors, Override, parse_money, parse_text
from .models import (
    ACTIVE_CLAIM_STATES,
    CURRENCY,
    Claim,
    ClaimEvent,
    ClaimStatus,
    CompensationPolicy,
)
from .policies import InvalidPolicy
from .rules import ClaimFacts, InvalidFacts, Quote, quote, validate_facts
from .timers import claim_due_times


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


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _conf(key: str):
    return settings.COMPENSATION[key]


def approval_threshold() -> Decimal:
    """Amounts above this (yuan) need a supervisor; at or below it an agent may approve."""
    return Decimal(str(_conf("APPROVAL_THRESHOLD")))


# --- Who may do what: the approval rule lives here and only here ------------------------------


def needs_supervisor(amount: Decimal) -> bool:
    """SPEC §5: a supervisor approves above the threshold (default ¥500)."""
    return amount > approval_threshold()


def may_decide(user, amount: Decimal) -> bool:
    """Return whether `user` may approve or reject a claim of `amount`.

    Above the threshold: `compensation.approve_claim` (supervisors). At or below it also
    `compensation.approve_small_claim` (agents). Rejecting is a decision like approving, so
    the same right applies: whoever may not approve an amount may not refuse it either.
    """
    if user is None or isinstance(user, str) or not getattr(user, "is_active", False):
        return False
    if user.has_perm("compensation.approve_claim"):
        return True
    return not needs_supervisor(amount) and user.has_perm("compensation.approve_small_claim")


def allowed_actions(user, claim: Claim) -> dict[str, bool]:
    """The buttons to show: which next steps `user` may take on `claim` now."""
    decide = may_decide(user, claim.amount)
    return {
        "approve": claim.status == ClaimStatus.PROPOSED and decide,
        "reject": claim.status in ACTIVE_CLAIM_STATES and decide,
        "pay": claim.status == ClaimStatus.APPROVED and user.has_perm("compensation.pay_claim"),
    }


def may_propose(user, complaint: Complaint) -> bool:
    """Whether `user` may propose a claim on `complaint` (state aside)."""
    try:
        _authorize(user, "propose_claim", complaint)
    except (NotAllowed, NotFound):
        return False
    return True


def _authorize(by, perm: str, complaint: Complaint) -> None:
    """Refuse unless a staff user may see `complaint` and holds compensation.`perm`."""
    if by is None or isinstance(by, str):  # customers and the system never handle claims
        raise NotAllowed(_("赔偿只能由员工办理。"))
    # The complaint's own rule: inactive users refused, another unit's complaint is NotFound.
    complaint_services.authorize(by, "view_complaint", complaint, action="claim")
    if not by.has_perm(f"compensation.{perm}"):
        raise NotAllowed(_("您没有权限办理此项赔偿操作。"))


def get_claim_for_staff(*, complaint: Complaint, claim_id: int, by) -> Claim:
    """Find a claim of `complaint` the user may see, or NotFound."""
    _authorize(by, "view_claim", complaint)
    if not 0 < claim_id < 2**63:  # beyond bigint the database would raise, not answer
        raise NotFound(_("赔偿申请不存在。"))
    claim = Claim.objects.filter(complaint=complaint, pk=claim_id).first()
    if claim is None:
        raise NotFound(_("赔偿申请不存在。"))
    return claim


def claims_for_staff(*, complaint: Complaint, by):
    """The claims of a complaint with their events, newest first (constant queries)."""
    _authorize(by, "view_claim", complaint)
    return (
        Claim.objects.filter(complaint=complaint)
        .select_related("complaint", "policy", "proposed_by", "decided_by", "paid_by")
        .prefetch_related("events__actor")
        .order_by("-proposed_at", "-id")
    )


# --- Policies and quotes ------------------------------------------------------------------


def default_policy() -> CompensationPolicy:
    """The company's default policy row (seeded on migrate from the default preset)."""
    row = CompensationPolicy.objects.filter(is_default=True, is_active=True).first()
    if row is None:
        raise Unavailable(_("未设置公司默认赔偿规则，请联系管理员在后台设置。"))
    return row


def resolve_policy(code: str | None) -> CompensationPolicy:
    """The active policy named `code`, or the company default; InvalidInput when unknown."""
    if code is None:
        return default_policy()
    row = CompensationPolicy.objects.filter(code=code, is_active=True).first()
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


def require_quote_right(by) -> None:
    """Whoever may propose a claim may compute one; partners and customers may not."""
    if by is None or isinstance(by, str) or not getattr(by, "is_active", False):
        raise NotAllowed(_("请先登录。"))
    if not by.has_perm("compensation.propose_claim"):
        raise NotAllowed(_("您没有权限计算赔偿金额。"))


def compensation_quote(*, facts: ClaimFacts, policy: CompensationPolicy, by) -> Quote:
    """Compute a quote without storing anything (the calculator and the live quote)."""
    require_quote_right(by)
    return _quote(facts, policy)


# --- Audit ----------------------------------------------------------------------------------


def _event(
    claim: Claim,
    by,
    action: str,
    from_status: str,
    *,
    now: datetime,
    reason: str = "",
    **details,
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
    complaint: Complaint, claim: Claim, by, event: str, *, now: datetime, reason: str = "", **extra
) -> None:
    """Record the claim step on the complaint's trail and tell listeners (SMS, webhooks)."""
    details = {
        "claim_id": claim.pk,
        "claim_status": claim.status,
        "amount": str(claim.amount),
        "currency": CURRENCY,
        **extra,
    }
    row = ComplaintTransition.objects.create(
        complaint=complaint,
        at=now,
        actor=by,
        actor_kind=ActorKind.STAFF,
        transition=event,
        from_state=complaint.status,
        to_state=complaint.status,
        reason=reason,
        details=details,
    )
    complaint_changed.send(
        sender=Complaint, complaint=complaint, event=event, actor=by, details=details, audit=row
    )


# --- The workflow ---------------------------------------------------------------------------


@transaction.atomic
def claim_propose(
    *,
    complaint: Complaint,
    by,
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
    now = _now(now)
    _authorize(by, "propose_claim", complaint)
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
    claim = Claim(
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
    _event(
        claim,
        by,
        ClaimEvent.Action.PROPOSE,
        "",
        now=now,
        reason=override_reason or note,
        quoted_amount=str(result.amount),
        overridden=override_amount is not None,
        policy=policy.code,
        needs_review=result.needs_review,
        needs_supervisor=needs_supervisor(claim.amount),
    )
    _complaint_audit(
        locked,
        claim,
        by,
        EVENT_PROPOSED,
        now=now,
        quoted_amount=str(result.amount),
        needs_supervisor=needs_supervisor(claim.amount),
    )
    return claim


def _lock(claim: Claim) -> Claim:
    """Lock the claim row; refuse if it changed state since the caller read it."""
    try:
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("complaint")
            .get(pk=claim.pk)
        )
    except Claim.DoesNotExist as exc:
        raise NotFound(_("赔偿申请不存在。")) from exc
    if locked.status != claim.status:
        raise Conflict(
            _("赔偿申请已被他人处理，当前状态为“%(status)s”，请刷新后再操作。")
            % {"status": locked.get_status_display()}
        )
    return locked


def _run(locked: Claim, name: str) -> str:
    """Run the FSM transition `name` in memory; return the state it left."""
    method = getattr(locked, name)
    if not can_proceed(method):
        raise Conflict(
            _("赔偿申请当前状态为“%(status)s”，不能%(action)s。")
            % {"status": locked.get_status_display(), "action": ACTION_LABELS[name]}
        )
    from_status = locked.status
    method()
    return from_status


def _save(locked: Claim) -> None:
    try:
        locked.save()
    except ConcurrentTransition as exc:  # a path that did not lock the row lost the race
        raise Conflict(_("赔偿申请已被他人处理，请刷新后再操作。")) from exc


def _require_decision_right(by, claim: Claim) -> None:
    if not may_decide(by, claim.amount):
        raise NotAllowed(
            _("赔偿金额¥%(amount)s超过审批限额¥%(threshold)s，须由质量监控主管审批。")
            % {"amount": claim.amount, "threshold": approval_threshold()}
            if needs_supervisor(claim.amount)
            else _("您没有权限审批赔偿申请。")
        )


@transaction.atomic
def claim_approve(*, claim: Claim, by, note: str = "", now: datetime | None = None) -> Claim:
    """待审批 → 已批准, by a supervisor above the threshold, else by an agent or a supervisor."""
    now = _now(now)
    _authorize(by, "view_claim", claim.complaint)
    errors = FieldErrors()
    note = parse_text(note, "note", errors, label=_("审批意见"), max_len=2000, required=False)
    errors.raise_if_any()
    locked = _lock(claim)
    _require_decision_right(by, locked)
    from_status = _run(locked, "approve")
    locked.decided_by = by
    locked.decided_at = now
    _refresh_timers(locked, now)  # a decision ends the assessment, payment the settlement
    _save(locked)
    _event(locked, by, ClaimEvent.Action.APPROVE, from_status, now=now, reason=note)
    _complaint_audit(locked.complaint, locked, by, EVENT_APPROVED, now=now)
    return locked


@transaction.atomic
def claim_reject(*, claim: Claim, by, reason: str, now: datetime | None = None) -> Claim:
    """待审批/已批准 → 已驳回, with the reason the customer is told."""
    now = _now(now)
    _authorize(by, "view_claim", claim.complaint)
    errors = FieldErrors()
    reason = parse_text(reason, "reason", errors, label=_("驳回原因"), max_len=2000, required=True)
    errors.raise_if_any()
    locked = _lock(claim)
    _require_decision_right(by, locked)
    from_status = _run(locked, "reject")
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
    by,
    payment_reference: str,
    paid_on: date | None,
    now: datetime | None = None,
) -> Claim:
    """已批准 → 已赔付: record the payment (reference and date) that settled the claim."""
    now = _now(now)
    _authorize(by, "pay_claim", claim.complaint)
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
    locked = _lock(claim)
    from_status = _run(locked, "pay")
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
