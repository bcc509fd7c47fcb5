"""Compensation policies and claims (SPEC §5), stored; the rules themselves live in amounts.py.

A claim belongs to a complaint and moves proposed → approved → paid, or → rejected. Transitions
only change memory; compensation.services locks, saves, audits (ClaimEvent and the complaint's
ComplaintTransition) and tells listeners. Nothing here is ever deleted.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from complaints.models import (
    AppendOnlyModel,
    Complaint,
    GuardedStateMixin,
    NoDeleteModel,
    NoDeleteQuerySet,
)
from complaints.models import Service as ServiceType

from .amounts import Basis, ClaimFacts, Incident, Service
from .carrier_policies import CarrierPolicy, InsuredPayout, InvalidPolicy, PartialDamage

CURRENCY = "CNY"


# --- Carrier policies ------------------------------------------------------------------------


class CompensationPolicy(NoDeleteModel):
    """A carrier's compensation policy as an editable row; `to_policy()` gives the rules' input.

    Seeded from compensation.carrier_policies.PRESETS on migrate; a supervisor copies one in the
    admin and edits the copy. Exactly one row is the company default (used when a quote names none).
    """

    code = models.SlugField(_("规则编码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    insured_payout = models.CharField(
        _("保价件丢失/全损赔付"),
        max_length=24,
        choices=[
            (InsuredPayout.INSURED_AMOUNT.value, _("按保价金额赔付")),
            (InsuredPayout.PROVEN_VALUE_CAPPED.value, _("按实际价值赔付，以保价金额为限")),
        ],
    )
    partial_damage = models.CharField(
        _("保价件部分损毁/短少赔付"),
        max_length=24,
        choices=[
            (PartialDamage.PROPORTIONAL.value, _("按比例：实际损失×保价金额÷全部价值")),
            (PartialDamage.ACTUAL_LOSS_CAPPED.value, _("按实际损失，以保价金额为限")),
        ],
    )
    uninsured_cap_multiple = models.DecimalField(
        _("未保价快件赔偿上限（运费倍数）"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("留空表示不设上限、按实际损失赔偿；限额条款须已向寄件人提示才适用"),
    )
    deemed_lost_after_days = models.PositiveSmallIntegerField(
        _("延误视为丢失（天）"), default=7, help_text=_("延误超过该天数按丢失处理")
    )
    review_cap_cut_share = models.DecimalField(
        _("限额削减复核比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text=_("限额削减超过实际损失的该比例时转人工复核（0–1）"),
    )
    based_on = models.CharField(_("来源预设"), max_length=40, blank=True, editable=False)
    is_default = models.BooleanField(_("公司默认"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("赔偿规则")
        verbose_name_plural = _("赔偿规则")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_compensation_policy",
                violation_error_message=_("只能有一条公司默认赔偿规则"),
            ),
            models.CheckConstraint(
                condition=~models.Q(is_default=True, is_active=False),
                name="default_policy_is_active",
                violation_error_message=_("公司默认赔偿规则必须处于启用状态"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def to_policy(self) -> CarrierPolicy:
        """Return the pure policy the rules engine reads (raises InvalidPolicy if inconsistent)."""
        return CarrierPolicy(
            code=self.code,
            name=self.name,
            insured_payout=InsuredPayout(self.insured_payout),
            partial_damage=PartialDamage(self.partial_damage),
            uninsured_cap_multiple=self.uninsured_cap_multiple,
            deemed_lost_after_days=self.deemed_lost_after_days,
            review_cap_cut_share=self.review_cap_cut_share,
        )

    def clean(self) -> None:
        # The pure dataclass is the one place the policy's own consistency rules live.
        try:
            self.to_policy()
        except (InvalidPolicy, ValueError) as exc:
            raise ValidationError(str(exc)) from exc


# --- Claims ----------------------------------------------------------------------------------


class ClaimStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    PAID = "paid", _("已赔付")
    REJECTED = "rejected", _("已驳回")


class IncidentType(models.TextChoices):
    # The same values as rules.Incident, with labels for forms and the admin.
    LOSS = Incident.LOSS.value, _("丢失")
    TOTAL_DAMAGE = Incident.TOTAL_DAMAGE.value, _("全部损毁")
    PARTIAL_DAMAGE = Incident.PARTIAL_DAMAGE.value, _("部分损毁")
    SHORT = Incident.SHORT.value, _("内件短少")
    DELAY = Incident.DELAY.value, _("延误")


ACTIVE_CLAIM_STATES = (ClaimStatus.PROPOSED, ClaimStatus.APPROVED)


class ClaimQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        """Claims on the complaints this staff user may see (branch staff: their unit's)."""
        return self.filter(complaint__in=Complaint.objects.visible_to(user))

    def assessment_overdue(self, now):
        """Damage claims not yet assessed (approved or rejected) by their due time."""
        return self.filter(status=ClaimStatus.PROPOSED, assess_due__lte=now)

    def settlement_overdue(self, now):
        """Loss claims not yet paid (or rejected) by their due time."""
        return self.filter(status__in=ACTIVE_CLAIM_STATES, settle_due__lte=now)


class Claim(GuardedStateMixin, NoDeleteModel):
    """A compensation claim on a complaint: the facts, the engine's quote, the decision, payment."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="claims"
    )
    status = FSMField(
        _("状态"),
        max_length=16,
        choices=ClaimStatus.choices,
        default=ClaimStatus.PROPOSED,
        protected=True,
    )

    # The facts the quote was computed from (ClaimFacts), kept as columns for reporting.
    service = models.CharField(
        _("业务类型"),
        max_length=24,
        choices=ServiceType.choices,
    )
    incident = models.CharField(
        _("事件"),
        max_length=16,
        choices=IncidentType.choices,
    )
    insured = models.BooleanField(_("保价"))
    insured_amount = models.DecimalField(
        _("保价金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    full_value = models.DecimalField(
        _("物品全部价值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    actual_loss = models.DecimalField(
        _("实际损失"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    freight = models.DecimalField(_("资费（服务费）"), max_digits=12, decimal_places=2)
    addon_fees = models.DecimalField(
        _("附加费用"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    delay_days = models.PositiveIntegerField(_("延误天数"), default=0)
    force_majeure = models.BooleanField(_("不可抗力"), default=False)
    goods_nature_or_sender_fault = models.BooleanField(_("物品本身性质或寄件人过错"), default=False)
    carrier_gross_negligence = models.BooleanField(_("承运人故意或重大过失"), default=False)
    limit_clause_shown = models.BooleanField(_("已提示限额条款"), default=False)
    value_evidence = models.BooleanField(_("有价值证明"), default=True)
    # 邮政法 art. 49 (registered mail): posting and query dates, the longer periods' flags.
    posted_on = models.DateField(_("交寄日期"), null=True, blank=True)
    queried_on = models.DateField(_("查询日期"), null=True, blank=True)
    international = models.BooleanField(_("国际邮件"), default=False)
    remote_area = models.BooleanField(_("边远地区"), default=False)

    # The engine's result under the policy as it was then (the row may be edited later).
    policy = models.ForeignKey(
        CompensationPolicy,
        verbose_name=_("赔偿规则"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    policy_snapshot = models.JSONField(_("规则快照"))
    quoted_amount = models.DecimalField(_("规则计算金额"), max_digits=12, decimal_places=2)
    basis = models.CharField(
        _("依据"),
        max_length=16,
        choices=[
            (Basis.STATUTE.value, _("法律规定")),
            (Basis.CARRIER_POLICY.value, _("承运人规则")),
            (Basis.CIVIL_LAW.value, _("民法（实际损失）")),
        ],
    )
    steps = models.JSONField(_("计算步骤"))
    needs_review = models.BooleanField(_("需人工复核"))
    review_reasons = models.JSONField(_("复核原因"), default=list)
    override_amount = models.DecimalField(
        _("人工调整金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    override_reason = models.TextField(_("调整理由"), blank=True)
    # An override above COMPENSATION["OVERRIDE_REVIEW_MULTIPLE"] × the quote (issue 19): shown
    # on the claim, in its audit and in the admin's list, for a second look by the supervisors.
    override_flagged = models.BooleanField(_("超倍调整待复核"), default=False)
    amount = models.DecimalField(
        _("赔偿金额"), max_digits=12, decimal_places=2, help_text=_("人工调整金额或规则计算金额")
    )

    # Who did what, when.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("申请时间"))
    note = models.TextField(_("申请说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    rejection_reason = models.TextField(_("驳回原因"), blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("赔付登记时间"), null=True, blank=True)
    paid_on = models.DateField(_("赔付日期"), null=True, blank=True)
    payment_reference = models.CharField(_("支付凭证号"), max_length=64, blank=True)

    # Claim timers (seed 003): loss settled within 72 h, damage assessed within 48 h of the claim.
    # Stored and indexed so the SLA sweeps find the overdue ones in SQL.
    assess_due = models.DateTimeField(_("定损时限"), null=True, blank=True)
    settle_due = models.DateTimeField(_("赔付时限"), null=True, blank=True)
    # When the SLA sweep must look at the claim next (its next warning or breach); None once
    # no timer runs. Set through complaints.hooks.refresh_record_timers in every claim service.
    sla_next_check = models.DateTimeField(_("下次时限检查"), null=True, blank=True, editable=False)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("赔偿申请")
        verbose_name_plural = _("赔偿申请")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            # One claim in progress per complaint: a second one while the first is pending is a
            # double-click or a double payment waiting to happen.
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(status__in=["proposed", "approved"]),
                name="one_active_claim_per_complaint",
                violation_error_message=_("该工单已有进行中的赔偿申请"),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) & models.Q(quoted_amount__gte=0),
                name="claim_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(override_amount__isnull=True) | ~models.Q(override_reason=""),
                name="claim_override_has_reason",
                violation_error_message=_("人工调整金额必须填写理由"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["assess_due"],
                name="claim_assess_due",
                condition=models.Q(status="proposed"),
            ),
            models.Index(
                fields=["settle_due"],
                name="claim_settle_due",
                condition=models.Q(status__in=["proposed", "approved"]),
            ),
            models.Index(
                fields=["sla_next_check"],
                name="claim_sla_next_check",
                condition=models.Q(sla_next_check__isnull=False),
            ),
            # Compensation paid per period (KPIs, SPEC §8).
            models.Index(fields=["status", "paid_on"], name="claim_status_paid_on"),
            models.Index(
                fields=["override_flagged", "proposed_at"],
                name="claim_override_flagged",
                condition=models.Q(override_flagged=True),
            ),
        ]
        permissions = [
            ("propose_claim", _("可提出赔偿申请")),
            ("approve_claim", _("可审批任意金额的赔偿")),
            ("approve_small_claim", _("可审批不超过审批限额的赔偿")),
            ("pay_claim", _("可登记赔付")),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} 赔偿#{self.pk} ¥{self.amount}"

    @property
    def currency(self) -> str:
        return CURRENCY

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CLAIM_STATES

    def facts(self) -> ClaimFacts:
        """Return the stored facts as the rules engine's input."""
        return ClaimFacts(
            service=Service(self.service),
            incident=Incident(self.incident),
            insured=self.insured,
            insured_amount=self.insured_amount,
            full_value=self.full_value,
            actual_loss=self.actual_loss,
            freight=self.freight,
            addon_fees=self.addon_fees,
            delay_days=self.delay_days,
            force_majeure=self.force_majeure,
            goods_nature_or_sender_fault=self.goods_nature_or_sender_fault,
            carrier_gross_negligence=self.carrier_gross_negligence,
            limit_clause_shown=self.limit_clause_shown,
            value_evidence=self.value_evidence,
            posted_on=self.posted_on,
            queried_on=self.queried_on,
            international=self.international,
            remote_area=self.remote_area,
        )

    # Transitions change memory only; compensation.services persists, audits and notifies.

    @transition(field=status, source=ClaimStatus.PROPOSED, target=ClaimStatus.APPROVED)
    def approve(self):
        """待审批 → 已批准."""

    @transition(
        field=status,
        source=[ClaimStatus.PROPOSED, ClaimStatus.APPROVED],
        target=ClaimStatus.REJECTED,
    )
    def reject(self):
        """待审批/已批准 → 已驳回 (e.g. refused, or the customer declines before payment)."""

    @transition(field=status, source=ClaimStatus.APPROVED, target=ClaimStatus.PAID)
    def pay(self):
        """已批准 → 已赔付."""


class ClaimEvent(AppendOnlyModel):
    """The claim's audit trail: one row per step, written in the same transaction as the step."""

    class Action(models.TextChoices):
        PROPOSE = "propose", _("提出申请")
        APPROVE = "approve", _("批准")
        REJECT = "reject", _("驳回")
        PAY = "pay", _("登记赔付")

    claim = models.ForeignKey(
        Claim, verbose_name=_("赔偿申请"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=ClaimStatus.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=ClaimStatus.choices)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("原因/说明"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("赔偿操作记录")
        verbose_name_plural = _("赔偿操作记录")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["claim", "at"], name="claim_event_claim_at"),
            # An agent's approvals of the day, summed under the lock (compensation.services).
            models.Index(
                fields=["actor", "at"],
                name="claim_event_approvals",
                condition=models.Q(action="approve"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.action} {self.from_status or '—'}→{self.to_status}"
