"""Appeals forwarded by the postal regulator (12305), their audit trail and their reminders.

Models hold fields, constraints and FSM transitions that only change memory; regulators.services
persists, audits and signals. Appeal records are never deleted: there is no delete path in the
model, the queryset, the admin or the database (a PostgreSQL trigger), because they are kept for
at least three years (SPEC §6) and the regulator may ask about any of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from complaints.models import (
    AppendOnlyModel,
    Category,
    Complaint,
    GuardedStateMixin,
    NoDeleteQuerySet,
    Unit,
)

from .bureau import ProblemType as BureauProblemType

NO_DELETE_MESSAGE = "申诉记录须至少保存3年，不可删除"


class AppealState(models.TextChoices):
    RECEIVED = "received", _("已接收")
    INVESTIGATING = "investigating", _("调查核实中")
    REPORTED = "reported", _("已报告")
    MEDIATION = "mediation", _("调解中")
    CLOSED = "closed", _("已办结")


OPEN_APPEAL_STATES = (
    AppealState.RECEIVED,
    AppealState.INVESTIGATING,
    AppealState.REPORTED,
    AppealState.MEDIATION,
)
# The company's report is outstanding until it has been sent.
REPORT_PENDING_STATES = (AppealState.RECEIVED, AppealState.INVESTIGATING)


class AppealOutcome(models.TextChoices):
    MEDIATED = "mediated", _("调解成功")
    RESOLVED = "resolved", _("企业已解决，用户认可")
    NOT_AT_FAULT = "not_at_fault", _("企业无责任")
    MEDIATION_FAILED = "mediation_failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("用户撤回申诉")
    NOT_ACCEPTED = "not_accepted", _("监管部门不予受理")


class Province(models.TextChoices):
    """The provincial postal administration that forwarded the appeal."""

    BEIJING = "BJ", _("北京")
    TIANJIN = "TJ", _("天津")
    HEBEI = "HE", _("河北")
    SHANXI = "SX", _("山西")
    INNER_MONGOLIA = "NM", _("内蒙古")
    LIAONING = "LN", _("辽宁")
    JILIN = "JL", _("吉林")
    HEILONGJIANG = "HL", _("黑龙江")
    SHANGHAI = "SH", _("上海")
    JIANGSU = "JS", _("江苏")
    ZHEJIANG = "ZJ", _("浙江")
    ANHUI = "AH", _("安徽")
    FUJIAN = "FJ", _("福建")
    JIANGXI = "JX", _("江西")
    SHANDONG = "SD", _("山东")
    HENAN = "HA", _("河南")
    HUBEI = "HB", _("湖北")
    HUNAN = "HN", _("湖南")
    GUANGDONG = "GD", _("广东")
    GUANGXI = "GX", _("广西")
    HAINAN = "HI", _("海南")
    CHONGQING = "CQ", _("重庆")
    SICHUAN = "SC", _("四川")
    GUIZHOU = "GZ", _("贵州")
    YUNNAN = "YN", _("云南")
    TIBET = "XZ", _("西藏")
    SHAANXI = "SN", _("陕西")
    GANSU = "GS", _("甘肃")
    QINGHAI = "QH", _("青海")
    NINGXIA = "NX", _("宁夏")
    XINJIANG = "XJ", _("新疆")
    STATE_POST_BUREAU = "SPB", _("国家邮政局")


class AppealQuerySet(NoDeleteQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_APPEAL_STATES)

    def overdue(self, now):
        """Appeals with a step of the company's still open past its deadline."""
        return self.filter(
            models.Q(state__in=REPORT_PENDING_STATES, company_report_due__lte=now)
            | models.Q(
                state=AppealState.MEDIATION,
                mediation_answered_at__isnull=True,
                mediation_feedback_due__lte=now,
            )
        )


class Appeal(GuardedStateMixin, models.Model):
    """An appeal to the postal regulator that the regulator forwarded to the company."""

    case_no = models.CharField(_("申诉案件编号"), max_length=40, unique=True)
    state = FSMField(
        _("状态"),
        max_length=16,
        choices=AppealState.choices,
        default=AppealState.RECEIVED,
        protected=True,
    )
    outcome = models.CharField(
        _("办结结果"), max_length=20, choices=AppealOutcome.choices, blank=True
    )
    province = models.CharField(_("转办省份"), max_length=4, choices=Province.choices)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    # The regulator's own receipt of the user's appeal: its 30-day reply period counts from it
    # (邮政法 art. 65). Empty on appeals registered before it was asked for.
    regulator_received_on = models.DateField(_("监管部门收到申诉日期"), null=True, blank=True)

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("关联投诉工单"), on_delete=models.PROTECT, related_name="appeals"
    )
    complaint_created = models.BooleanField(
        _("新建工单"), default=False, help_text=_("登记申诉时未找到原投诉，按监管转办新建的工单")
    )
    appellant_name = models.CharField(_("申诉人"), max_length=50)
    appellant_phone = models.CharField(_("申诉人电话"), max_length=20)
    tracking_no = models.CharField(_("运单号"), max_length=40, blank=True, db_index=True)
    facts = models.TextField(_("申诉事实"))
    request = models.TextField(_("申诉请求"))

    # Deadlines (SPEC §6), stored and indexed so the sweep finds them with a range query.
    report_days = models.PositiveSmallIntegerField(_("报告期限（日）"))
    company_report_due = models.DateTimeField(_("企业报告时限"))
    mediation_feedback_due = models.DateTimeField(_("调解意见反馈时限"), null=True, blank=True)
    regulator_reply_due = models.DateTimeField(_("监管部门答复用户时限"))

    # The company's report to the regulator: six editable sections, drafted from the record.
    report_sections = models.JSONField(_("报告内容"), default=dict, blank=True)
    report_drafted_at = models.DateTimeField(_("报告起草时间"), null=True, blank=True)
    report_edited_at = models.DateTimeField(_("报告修改时间"), null=True, blank=True)
    report_sent_at = models.DateTimeField(_("报告报送时间"), null=True, blank=True)
    report_sent_via = models.CharField(_("报送方式"), max_length=100, blank=True)

    # Mediation proposed by the regulator, and the company's answer.
    mediation_proposal = models.TextField(_("调解方案"), blank=True)
    mediation_proposed_at = models.DateTimeField(_("调解方案收到时间"), null=True, blank=True)
    mediation_answer = models.TextField(_("企业反馈意见"), blank=True)
    mediation_answered_at = models.DateTimeField(_("企业反馈时间"), null=True, blank=True)

    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("监管申诉")
        verbose_name_plural = _("监管申诉")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The sweeps: one range query per deadline, over the appeals where it still runs.
            models.Index(
                fields=["company_report_due"],
                name="appeal_report_due_open",
                condition=models.Q(state__in=["received", "investigating"]),
            ),
            models.Index(
                fields=["mediation_feedback_due"],
                name="appeal_mediation_due_open",
                condition=models.Q(state="mediation", mediation_answered_at__isnull=True),
            ),
            models.Index(
                fields=["regulator_reply_due"],
                name="appeal_reply_due_open",
                condition=models.Q(
                    state__in=["received", "investigating", "reported", "mediation"]
                ),
            ),
            # The supervisor's list: filtered by state / province, newest first.
            models.Index(fields=["state", "received_at"], name="appeal_state_received"),
            models.Index(fields=["province", "received_at"], name="appeal_province_received"),
        ]
        permissions = [
            ("register_appeal", _("可登记监管转办申诉")),
            ("handle_appeal", _("可处理申诉（调查、报告、调解、办结）")),
            ("export_regulator_statistics", _("可导出监管统计报表")),
        ]

    def __str__(self) -> str:
        return self.case_no

    def delete(self, *args, **kwargs):
        raise PermissionError(NO_DELETE_MESSAGE)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_APPEAL_STATES

    # Transitions change memory only; services persist, audit and signal.

    @transition(field=state, source=AppealState.RECEIVED, target=AppealState.INVESTIGATING)
    def investigate(self):
        """已接收 → 调查核实中: someone is looking into the appeal."""

    @transition(
        field=state,
        source=[AppealState.RECEIVED, AppealState.INVESTIGATING],
        target=AppealState.REPORTED,
    )
    def report(self):
        """→ 已报告: the company's report was sent to the regulator."""

    @transition(
        field=state,
        source=[AppealState.REPORTED, AppealState.MEDIATION],
        target=AppealState.MEDIATION,
    )
    def propose_mediation(self):
        """已报告 → 调解中: the regulator proposed a mediation (a new proposal restarts it)."""

    @transition(field=state, source=list(OPEN_APPEAL_STATES), target=AppealState.CLOSED)
    def close(self):
        """→ 已办结, with an outcome; which outcomes fit which state is regulators.outcomes'."""


class AppealEvent(AppendOnlyModel):
    """The appeal's audit trail: who did what, when, from which state to which, and why.

    Written in the same transaction as the change; never changed or deleted (a PostgreSQL
    trigger refuses even raw SQL).
    """

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("申诉"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(
        _("原状态"), max_length=16, choices=AppealState.choices, blank=True
    )
    to_state = models.CharField(_("新状态"), max_length=16, choices=AppealState.choices)
    reason = models.TextField(_("原因/说明"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("申诉操作记录")
        verbose_name_plural = _("申诉操作记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appeal", "at"], name="appeal_event_appeal_at")]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.action} {self.from_state}→{self.to_state}"


class AppealReminder(models.Model):
    """One reminder about one deadline of one appeal, claimed by exactly one sweep.

    The unique constraint is the claim: a second sweep inserting the same row fails and skips it.
    The due time is part of the key, so a moved deadline (a new mediation proposal) is reminded
    about again.
    """

    class Kind(models.TextChoices):
        COMPANY_REPORT = "company_report", _("企业报告")
        MEDIATION_FEEDBACK = "mediation_feedback", _("调解意见反馈")
        REGULATOR_REPLY = "regulator_reply", _("监管部门答复用户")

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已超时")

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("申诉"), on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(_("时限"), max_length=24, choices=Kind.choices)
    stage = models.CharField(_("提醒类型"), max_length=16, choices=Stage.choices)
    due_at = models.DateTimeField(_("时限"))
    sent_at = models.DateTimeField(_("提醒时间"))

    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = _("申诉时限提醒")
        verbose_name_plural = _("申诉时限提醒")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "kind", "stage", "due_at"], name="one_reminder_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.kind} {self.stage}"

    def delete(self, *args, **kwargs):
        raise PermissionError(NO_DELETE_MESSAGE)


# --- The bureau's published figures (issue 23) --------------------------------------------


class ProblemType(models.TextChoices):
    """The State Post Bureau's problem types (regulators.bureau.ProblemType, labelled)."""

    DELAY = BureauProblemType.DELAY.value, _("延误")
    LOSS_SHORT = BureauProblemType.LOSS_SHORT.value, _("丢失短少")
    DAMAGE = BureauProblemType.DAMAGE.value, _("损毁")
    DELIVERY = BureauProblemType.DELIVERY.value, _("投递服务")
    PICKUP = BureauProblemType.PICKUP.value, _("收寄服务")
    ILLEGAL_FEE = BureauProblemType.ILLEGAL_FEE.value, _("违规收费")
    COD = BureauProblemType.COD.value, _("代收货款")
    OTHER = BureauProblemType.OTHER.value, _("其他")


class ProblemTypeMapping(models.Model):
    """Which of the bureau's problem types a complaint category counts under (one each).

    Seeded with regulators.bureau.DEFAULT_MAPPING; a category missing here counts under its
    default, so every complaint and appeal is counted exactly once.
    """

    category = models.CharField(_("投诉类别"), max_length=16, choices=Category.choices, unique=True)
    problem_type = models.CharField(_("监管问题类型"), max_length=16, choices=ProblemType.choices)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("监管问题类型对照")
        verbose_name_plural = _("监管问题类型对照")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.get_problem_type_display()}"


class VolumeSource(models.TextChoices):
    ADMIN = "admin", _("后台录入")
    IMPORT = "import", _("文件导入")
    API = "api", _("接口")


class ParcelVolume(models.Model):
    """The parcel volume (业务量) of a month: for the company (no unit, no province), a unit,
    or a province. The denominator of every rate per million parcels."""

    month = models.DateField(_("月份"), help_text=_("当月1日"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.CharField(_("省份"), max_length=4, choices=Province.choices, blank=True)
    parcels = models.PositiveBigIntegerField(_("业务量（件）"))
    source = models.CharField(_("来源"), max_length=8, choices=VolumeSource.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("业务量")
        verbose_name_plural = _("业务量")
        ordering = ["-month", "unit", "province"]
        constraints = [
            # One figure per month and scope; NULL units compare equal (PostgreSQL 15).
            models.UniqueConstraint(
                fields=["month", "unit", "province"],
                name="one_volume_per_month_scope",
                nulls_distinct=False,
                violation_error_message=_("该月份该范围的业务量已存在"),
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="volume_month_first_day",
                violation_error_message=_("月份须为当月1日"),
            ),
            models.CheckConstraint(
                condition=models.Q(unit__isnull=True) | models.Q(province=""),
                name="volume_unit_or_province",
                violation_error_message=_("业务量按单位或按省份录入，不可同时指定"),
            ),
        ]

    def __str__(self) -> str:
        scope = self.unit or self.get_province_display() or _("全公司")
        return f"{self.month:%Y-%m} {scope} {self.parcels}"


class IndustryAverage(models.Model):
    """The bureau's published industry average for a period, entered by a supervisor, shown
    beside the company's figures for comparison (optional)."""

    period = models.CharField(
        _("周期"), max_length=8, unique=True, help_text=_("如 2026-11、2026-Q4 或 2026")
    )
    appeal_rate = models.DecimalField(
        _("申诉率（件/百万件）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    effective_appeal_rate = models.DecimalField(
        _("有效申诉率（件/百万件）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    satisfaction = models.DecimalField(
        _("有效申诉处理满意率（%）"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    source = models.CharField(_("来源"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("行业平均水平")
        verbose_name_plural = _("行业平均水平")
        ordering = ["-period"]

    def __str__(self) -> str:
        return self.period

    def clean(self):
        from django.core.exceptions import ValidationError

        from .bureau import PeriodError, parse_period

        try:
            self.period = parse_period(self.period).key
        except PeriodError as exc:
            raise ValidationError({"period": str(exc)}) from None
