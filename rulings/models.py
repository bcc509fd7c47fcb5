"""Fault rulings, the assessment rules, the ledger and the branch's disputes (issue 22).

Rulings and ledger entries are append-only (a change is a new row; a reversal an opposite
entry), rule versions never overlap. See docs/rulings.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Value
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from complaints.models import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    Category,
    Complaint,
    EvidenceFile,
    GuardedStateMixin,
    NoDeleteModel,
    NoDeleteQuerySet,
    Role,
    Unit,
)

from . import charges


class Verdict(models.TextChoices):
    AT_FAULT = charges.Verdict.AT_FAULT.value, _("有责")
    PARTLY = charges.Verdict.PARTLY.value, _("部分有责")
    NOT_AT_FAULT = charges.Verdict.NOT_AT_FAULT.value, _("无责")


class Stage(models.TextChoices):
    PICKUP = charges.Stage.PICKUP.value, _("收寄")
    HUB = charges.Stage.HUB.value, _("中转/分拨")
    TRANSPORT = charges.Stage.TRANSPORT.value, _("运输")
    DELIVERY = charges.Stage.DELIVERY.value, _("派送")
    SERVICE = charges.Stage.SERVICE.value, _("客服")


class NoFaultCause(models.TextChoices):
    CUSTOMER = charges.NoFaultCause.CUSTOMER.value, _("客户原因")
    FORCE_MAJEURE = charges.NoFaultCause.FORCE_MAJEURE.value, _("不可抗力")
    THIRD_PARTY = charges.NoFaultCause.THIRD_PARTY.value, _("第三方原因")
    NOT_ESTABLISHED = charges.NoFaultCause.NOT_ESTABLISHED.value, _("责任不成立（申诉改判）")


MULTIPLIER = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


# --- Assessment rules -----------------------------------------------------------------------


class AssessmentRule(NoDeleteModel):
    """One version of the assessment figures, valid from one day to another (inclusive)."""

    name = models.CharField(_("版本名称"), max_length=60)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("含当日；留空表示长期有效")
    )
    partial_share = models.DecimalField(
        _("部分有责比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("部分有责按有责标准的该比例考核（0–1）"),
    )
    repeat_multiplier = models.DecimalField(
        _("重复投诉倍数"), default=Decimal("1.50"), **MULTIPLIER
    )
    appeal_multiplier = models.DecimalField(
        _("升级监管申诉倍数"), default=Decimal("2.00"), **MULTIPLIER
    )
    overdue_multiplier = models.DecimalField(
        _("逾期答复倍数"), default=Decimal("1.20"), **MULTIPLIER
    )
    amount_cap = models.DecimalField(
        _("单宗投诉扣款上限（元）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    points_cap = models.DecimalField(
        _("单宗投诉扣分上限"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    dispute_days = models.PositiveSmallIntegerField(
        _("申诉期限（工作日）"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("判责后责任单位可申诉的工作日数（按国家法定节假日及调休）"),
    )
    decision_days = models.PositiveSmallIntegerField(
        _("裁决时限（工作日）"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("收到申诉后质量监控主管须作出裁决的工作日数"),
    )
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")
        ordering = ["-valid_from"]
        constraints = [
            # Two versions never apply to the same day (the ledger must say which one did).
            ExclusionConstraint(
                name="assessment_rule_no_overlap",
                expressions=[
                    (
                        Func(
                            F("valid_from"),
                            F("valid_to"),
                            Value("[]"),
                            function="daterange",
                            output_field=models.DateField(),
                        ),
                        RangeOperators.OVERLAPS,
                    )
                ],
                violation_error_message=_("与其他版本的有效期重叠。"),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="assessment_rule_valid_range",
                violation_error_message=_("失效日期不能早于生效日期。"),
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "—"
        return f"{self.name}（{self.valid_from:%Y-%m-%d} 至 {until}）"

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("失效日期不能早于生效日期。")})

    @property
    def version_label(self) -> str:
        return f"{self.name}（{self.valid_from:%Y-%m-%d}起）"

    def to_rule(self, lines=None) -> charges.RuleVersion:
        """The pure rule version the assessment reads (lines prefetched or given)."""
        lines = self.lines.all() if lines is None else lines
        return charges.RuleVersion(
            version=self.version_label,
            lines=tuple(
                charges.Line(
                    stage=charges.Stage(line.stage),
                    amount=line.amount,
                    points=line.points,
                    category=line.category or None,
                )
                for line in lines
            ),
            partial_share=self.partial_share,
            repeat_multiplier=self.repeat_multiplier,
            appeal_multiplier=self.appeal_multiplier,
            overdue_multiplier=self.overdue_multiplier,
            amount_cap=self.amount_cap,
            points_cap=self.points_cap,
            dispute_days=self.dispute_days,
            decision_days=self.decision_days,
        )


class AssessmentRuleLine(NoDeleteModel):
    """The amount and points for 有责 in one stage (and optionally one complaint category)."""

    rule = models.ForeignKey(
        AssessmentRule, verbose_name=_("考核规则"), on_delete=models.PROTECT, related_name="lines"
    )
    category = models.CharField(
        _("投诉类别"),
        max_length=16,
        choices=Category.choices,
        blank=True,
        help_text=_("留空表示适用于所有类别；填写时优先于通用标准"),
    )
    stage = models.CharField(_("责任环节"), max_length=16, choices=Stage.choices)
    amount = models.DecimalField(
        _("扣款（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    points = models.DecimalField(
        _("扣分"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("0.0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("考核标准")
        verbose_name_plural = _("考核标准")
        ordering = ["rule", "stage", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "category", "stage"],
                name="one_assessment_line_per_category_stage",
                violation_error_message=_("同一版本中，同一类别和环节只能有一条标准。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_category_display() or '各类别'}"


# --- Rulings --------------------------------------------------------------------------------


class RulingQuerySet(AppendOnlyQuerySet):
    def visible_to(self, user):
        """Agents and supervisors see every ruling; branch staff those against their unit and
        those on their unit's complaints (SPEC §9: nothing of another unit's otherwise)."""
        profile = getattr(user, "staff", None)
        if user.is_superuser or (profile and profile.role in (Role.AGENT, Role.SUPERVISOR)):
            return self
        if profile and profile.role == Role.BRANCH:
            return self.filter(
                models.Q(unit_id=profile.unit_id) | models.Q(complaint__unit_id=profile.unit_id)
            )
        return self.none()

    def current(self):
        """Each complaint's newest ruling: no later ruling of the same complaint exists."""
        newer = Ruling.objects.filter(complaint_id=models.OuterRef("complaint_id")).filter(
            models.Q(at__gt=models.OuterRef("at"))
            | models.Q(at=models.OuterRef("at"), pk__gt=models.OuterRef("pk"))
        )
        return self.filter(~models.Exists(newer))


class RulingSource(models.TextChoices):
    STAFF = "staff", _("判责")
    OVERTURN = "overturn", _("申诉改判")


class Ruling(AppendOnlyModel):
    """A fault ruling on a complaint. Never edited: a change is a new ruling (supersedes)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="rulings"
    )
    verdict = models.CharField(_("判责结果"), max_length=16, choices=Verdict.choices)
    stage = models.CharField(_("责任环节"), max_length=16, choices=Stage.choices, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rulings",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rulings_against",
    )
    no_fault_cause = models.CharField(
        _("无责原因"), max_length=20, choices=NoFaultCause.choices, blank=True
    )
    reason = models.TextField(_("判责理由"))
    # What the ruling rests on: [{"kind": "reply", "id": 1, "label": …}, {"kind": "attachment",
    # "token": …, "label": …}] — checked to belong to the complaint when it was recorded.
    evidence = models.JSONField(_("判责依据"), default=list, blank=True)
    source = models.CharField(
        _("来源"), max_length=16, choices=RulingSource.choices, default=RulingSource.STAFF
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("取代的判责"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    rule = models.ForeignKey(
        AssessmentRule,
        verbose_name=_("考核规则版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rulings",
    )
    # The complaint's facts the assessment read (repeat, appealed, overdue, category).
    facts = models.JSONField(_("考核事实"), default=dict, blank=True)
    amount = models.DecimalField(_("扣款（元）"), max_digits=12, decimal_places=2, default=0)
    points = models.DecimalField(_("扣分"), max_digits=8, decimal_places=1, default=0)
    steps = models.JSONField(_("计算步骤"), default=list, blank=True)
    dispute_until = models.DateTimeField(_("申诉截止"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判责人"),
        on_delete=models.PROTECT,
        related_name="rulings_made",
    )
    at = models.DateTimeField(_("判责时间"))

    objects = RulingQuerySet.as_manager()

    class Meta:
        verbose_name = _("判责记录")
        verbose_name_plural = _("判责记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["complaint", "at"], name="ruling_complaint_at"),
            models.Index(fields=["unit", "at"], name="ruling_unit_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verdict__in=sorted(v.value for v in charges.FAULT_VERDICTS))
                | (models.Q(unit__isnull=False) & ~models.Q(stage="")),
                name="fault_ruling_names_unit_and_stage",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict=charges.Verdict.NOT_AT_FAULT.value)
                | (~models.Q(no_fault_cause="") & models.Q(unit__isnull=True)),
                name="no_fault_ruling_names_cause",
            ),
        ]
        permissions = [
            ("rule_complaint", _("可判责")),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_verdict_display()}"

    @property
    def is_fault(self) -> bool:
        return self.verdict in charges.FAULT_VERDICTS


# --- The ledger -----------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("考核")
    REVERSAL = "reversal", _("冲销")


class LedgerQuerySet(AppendOnlyQuerySet):
    def visible_to(self, user):
        """Supervisors (and agents) see every unit's entries; branch staff only their unit's."""
        profile = getattr(user, "staff", None)
        if user.is_superuser or (profile and profile.role in (Role.AGENT, Role.SUPERVISOR)):
            return self
        if profile and profile.role == Role.BRANCH:
            return self.filter(unit_id=profile.unit_id)
        return self.none()


class LedgerEntry(AppendOnlyModel):
    """One line of the assessment ledger: a charge for a ruling, or the reversal of one."""

    at = models.DateTimeField(_("记账时间"))
    # The month it counts in (the 1st, Asia/Shanghai): scorecards and the export sum by it.
    period = models.DateField(_("考核月份"))
    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    ruling = models.ForeignKey(
        Ruling, verbose_name=_("判责记录"), on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲销的记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    # +1 for a justified complaint charged to the unit, −1 when it is reversed.
    count = models.SmallIntegerField(_("有责件数"))
    amount = models.DecimalField(_("扣款（元）"), max_digits=12, decimal_places=2)
    points = models.DecimalField(_("扣分"), max_digits=8, decimal_places=1)
    rule = models.ForeignKey(
        AssessmentRule,
        verbose_name=_("考核规则版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    category = models.CharField(_("投诉类别"), max_length=16, choices=Category.choices)
    stage = models.CharField(_("责任环节"), max_length=16, choices=Stage.choices)
    reason = models.TextField(_("事由"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记账人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核台账")
        verbose_name_plural = _("考核台账")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["period", "unit"], name="ledger_period_unit"),
            models.Index(
                fields=["period", "person"],
                name="ledger_period_person",
                condition=models.Q(person__isnull=False),
            ),
            models.Index(fields=["unit", "at"], name="ledger_unit_at"),
            # The dashboard's ranking sums any period of days across units.
            models.Index(fields=["at"], name="ledger_at"),
            models.Index(fields=["complaint"], name="ledger_complaint"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="charge") & models.Q(reverses__isnull=True))
                | (models.Q(kind="reversal") & models.Q(reverses__isnull=False)),
                name="ledger_reversal_names_its_entry",
            ),
        ]
        permissions = [
            ("view_scorecard", _("可查看考核记分卡")),
            ("export_scorecard", _("可导出考核结算表")),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_kind_display()} {self.amount}"


# --- Disputes -------------------------------------------------------------------------------


class DisputeStatus(models.TextChoices):
    PENDING = "pending", _("待裁决")
    UPHELD = "upheld", _("维持原判")
    OVERTURNED = "overturned", _("改判无责")


class DisputeQuerySet(NoDeleteQuerySet):
    def visible_to(self, user):
        profile = getattr(user, "staff", None)
        if user.is_superuser or (profile and profile.role in (Role.AGENT, Role.SUPERVISOR)):
            return self
        if profile and profile.role == Role.BRANCH:
            return self.filter(unit_id=profile.unit_id)
        return self.none()


class Dispute(GuardedStateMixin, NoDeleteModel):
    """The unit at fault disputes a ruling (申诉改判); a supervisor upholds or overturns it."""

    ruling = models.OneToOneField(
        Ruling, verbose_name=_("判责记录"), on_delete=models.PROTECT, related_name="dispute"
    )
    # The ruling's complaint and unit, kept here for the SLA sweep and the role scoping.
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="disputes"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("申诉单位"), on_delete=models.PROTECT, related_name="disputes"
    )
    status = FSMField(
        _("状态"),
        max_length=16,
        choices=DisputeStatus.choices,
        default=DisputeStatus.PENDING,
        protected=True,
    )
    reason = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申诉人"),
        on_delete=models.PROTECT,
        related_name="disputes_filed",
    )
    filed_at = models.DateTimeField(_("申诉时间"))
    decision_due = models.DateTimeField(_("裁决时限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁决人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_decided",
    )
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    decision_reason = models.TextField(_("裁决理由"), blank=True)
    new_ruling = models.OneToOneField(
        Ruling,
        verbose_name=_("改判后的判责"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="from_dispute",
    )
    # When the SLA sweep looks at the decision timer next (escalation.records).
    sla_next_check = models.DateTimeField(_("下次时限检查"), null=True, blank=True, editable=False)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = _("判责申诉")
        verbose_name_plural = _("判责申诉")
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(
                fields=["sla_next_check"],
                name="dispute_sla_next_check",
                condition=models.Q(sla_next_check__isnull=False),
            ),
            models.Index(fields=["status", "decision_due"], name="dispute_status_due"),
            models.Index(fields=["unit", "decided_at"], name="dispute_unit_decided"),
        ]
        permissions = [
            ("file_dispute", _("可对判责提出申诉")),
            ("decide_dispute", _("可裁决判责申诉")),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} 申诉 {self.get_status_display()}"

    @transition(field=status, source=DisputeStatus.PENDING, target=DisputeStatus.UPHELD)
    def uphold(self):
        """待裁决 → 维持原判."""

    @transition(field=status, source=DisputeStatus.PENDING, target=DisputeStatus.OVERTURNED)
    def overturn(self):
        """待裁决 → 改判无责: the ruling's charges are reversed."""


def dispute_evidence_path(instance, filename: str) -> str:
    # A random name; the clerk's file name is kept only as data (like complaints' evidence).
    return f"disputes/{instance.uploaded_at:%Y/%m}/{instance.token}{instance.extension}"


class DisputeEvidence(EvidenceFile):
    """A photo or PDF the unit sends with its dispute."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("申诉"), on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=dispute_evidence_path, max_length=200)

    class Meta(EvidenceFile.Meta):
        verbose_name = _("申诉证据")
        verbose_name_plural = _("申诉证据")

    def __str__(self) -> str:
        return self.original_name or self.token
