"""SLA data: policies, the working-day calendar, fired events and the notification outbox.

Policies and the calendar are edited by supervisors in the admin. SLA events are claimed
exactly once by a unique key; every notification goes through the outbox (one row per event ×
recipient × channel) and is delivered by Celery with retries.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.schedule import EventKind, Notify, TimerName
from kernel.clock import ClockType


class SlaPolicy(models.Model):
    """Targets for one priority (and optionally one channel); the most specific one applies."""

    class Priority(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("重大紧急（含外部投诉）")

    class Clock(models.TextChoices):
        CALENDAR_HOURS = ClockType.CALENDAR_HOURS.value, _("自然小时（全天计时）")
        BUSINESS_HOURS = ClockType.BUSINESS_HOURS.value, _("工作时间（按营业时段）")
        WORKING_DAYS = ClockType.WORKING_DAYS.value, _("工作日（按国家法定节假日及调休）")

    name = models.CharField(_("名称"), max_length=60)
    priority = models.CharField(_("优先级"), max_length=16, choices=Priority.choices)
    channel = models.CharField(
        _("渠道"),
        max_length=16,
        blank=True,
        help_text=_("留空表示适用于所有渠道；填写渠道时优先于通用策略。"),
    )
    clock_type = models.CharField(
        _("计时方式"), max_length=20, choices=Clock.choices, default=Clock.CALENDAR_HOURS
    )
    first_response_hours = models.DecimalField(
        _("首次响应时限（小时）"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    resolution_hours = models.DecimalField(
        _("处理时限（小时）"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    follow_up_hours = models.DecimalField(
        _("回访时限（小时）"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    statutory_days = models.PositiveSmallIntegerField(
        _("法定答复期限（日）"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("快递暂行条例：7日内处理并告知用户；起算日不计入，末日遇法定休假日顺延。"),
    )
    warning_share = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("时限用去该比例时发送预警，默认0.80即80%。"),
    )
    opens_at = models.TimeField(_("营业开始"), default=time(8, 30))
    closes_at = models.TimeField(_("营业结束"), default=time(18, 30))
    business_weekdays = models.CharField(
        _("营业星期"),
        max_length=7,
        default="1234567",
        help_text=_("1=周一 … 7=周日；按工作时间计时时使用。"),
    )
    closed_on_rest_days = models.BooleanField(
        _("法定节假日不营业"), default=True, help_text=_("调休上班日照常营业。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("时限策略")
        verbose_name_plural = _("时限策略")
        ordering = ["priority", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "channel"],
                condition=models.Q(is_active=True),
                name="one_active_policy_per_priority_channel",
                violation_error_message=_("同一优先级和渠道只能有一条启用的策略。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.clock_type == ClockType.WORKING_DAYS:
            for name in ("first_response_hours", "resolution_hours", "follow_up_hours"):
                value = getattr(self, name)
                if value is not None and value % 24 != 0:
                    errors[name] = _("按工作日计时时，时限须为24小时的整数倍（1个工作日=24小时）。")
        if self.clock_type == ClockType.BUSINESS_HOURS:
            if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
                errors["closes_at"] = _("营业结束时间必须晚于开始时间。")
            if not self.business_weekdays or set(self.business_weekdays) - set("1234567"):
                errors["business_weekdays"] = _("请用1到7的数字表示营业的星期，例如12345。")
        if self.channel:
            from complaints.models import Channel

            if self.channel not in Channel.values:
                errors["channel"] = _("渠道无效。")
        if errors:
            raise ValidationError(errors)


class EscalationLevel(models.Model):
    """One escalation step of a policy: who hears about a breach still open after a delay."""

    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("策略"), on_delete=models.CASCADE, related_name="levels"
    )
    level = models.PositiveSmallIntegerField(
        _("级别"), validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    delay_minutes = models.DecimalField(
        _("超时后多久升级（分钟）"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    notify = models.CharField(
        _("通知对象"),
        max_length=16,
        choices=[
            (Notify.UNIT_HEAD.value, _("责任单位负责人")),
            (Notify.SUPERVISORS.value, _("质量监控主管")),
        ],
    )

    class Meta:
        verbose_name = _("升级级别")
        verbose_name_plural = _("升级级别")
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="one_escalation_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.policy} L{self.level}"

    @property
    def delay(self) -> timedelta:
        return timedelta(minutes=float(self.delay_minutes))


class CalendarException(models.Model):
    """A day that differs from the official calendar, or a day of a year it does not know."""

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("上班"), help_text=_("勾选：上班（如调休上班日）；不勾选：休息（如法定节假日）。")
    )
    note = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {'上班' if self.is_working_day else '休息'}"


class CalendarYear(models.Model):
    """A year whose holidays and 调休 days a supervisor has entered in full."""

    year = models.PositiveSmallIntegerField(
        _("年份"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filled_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    source = models.CharField(
        _("依据"),
        max_length=120,
        blank=True,
        help_text=_("如：国务院办公厅关于某年部分节假日安排的通知"),
    )

    class Meta:
        verbose_name = _("已录入年度")
        verbose_name_plural = _("已录入年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class SlaEvent(models.Model):
    """A warning, breach, escalation or 12305 risk that fired: claimed exactly once.

    The unique key is one timer run: the same timer restarted (a reopened complaint) fires
    again, a deadline moved by a pause or a new priority does not.
    """

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        related_name="sla_events",
    )
    timer = models.CharField(
        _("计时项"),
        max_length=16,
        choices=[
            (TimerName.FIRST_RESPONSE.value, _("首次响应")),
            (TimerName.RESOLUTION.value, _("处理完毕")),
            (TimerName.FOLLOW_UP.value, _("回访")),
            (TimerName.STATUTORY.value, _("法定答复（7日）")),
            (TimerName.CLAIM_ASSESSMENT.value, _("赔偿定损")),
            (TimerName.CLAIM_SETTLEMENT.value, _("赔偿支付")),
            (TimerName.DISPUTE_DECISION.value, _("判责申诉裁决")),
        ],
    )
    # Set for the events of a feature's record timer (complaints.hooks.timed_records): the
    # record's id, e.g. a compensation claim's (the timer's name says whose).
    record_id = models.BigIntegerField(_("关联记录"), null=True, blank=True, db_index=True)
    kind = models.CharField(
        _("事件"),
        max_length=16,
        choices=[
            (EventKind.WARNING.value, _("预警")),
            (EventKind.BREACH.value, _("超时")),
            (EventKind.ESCALATION.value, _("升级")),
            (EventKind.STATUTORY_RISK.value, _("12305申诉风险")),
        ],
    )
    level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    timer_started_at = models.DateTimeField(_("计时起点"))
    due_at = models.DateTimeField(_("时限"))
    scheduled_at = models.DateTimeField(_("应触发时间"))
    fired_at = models.DateTimeField(_("实际触发时间"))
    # For breaches: how far past the due time the sweep saw it (KPIs aggregate this in SQL).
    overdue_seconds = models.IntegerField(_("超时秒数"), default=0)
    unit = models.ForeignKey(
        "complaints.Unit",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.CharField(_("优先级"), max_length=16)
    policy_name = models.CharField(_("适用策略"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("时限事件")
        verbose_name_plural = _("时限事件")
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "timer", "kind", "level", "timer_started_at"],
                name="sla_event_once_per_timer_run",
            )
        ]
        indexes = [
            models.Index(fields=["kind", "fired_at"], name="sla_event_kind_fired"),
            # The dashboard dates a breach by its deadline (dashboard/rollup.py).
            models.Index(fields=["kind", "due_at"], name="sla_event_kind_due"),
            models.Index(fields=["complaint", "fired_at"], name="sla_event_complaint"),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.level:
            label = f"{label}L{self.level}"
        return f"{self.complaint_id} {self.get_timer_display()} {label}"
