"""The waybill's journey: scan events, the waybill's summary, pulls, routing rules and decisions.

ScanEvent's table is range-partitioned by month (tracking/partitions.py); its key in the
database is (id, scanned_at), Django addresses rows by id alone, kept unique by the sequence.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, Party, Unit

from . import journey_rules


class ScanType(models.TextChoices):
    COLLECT = journey_rules.COLLECT, _("收件")
    DEPART = journey_rules.DEPART, _("发往")
    ARRIVE = journey_rules.ARRIVE, _("到达")
    DELIVER = journey_rules.DELIVER, _("派件")
    SIGN = journey_rules.SIGN, _("签收")
    REFUSE = journey_rules.REFUSE, _("拒签")
    PROBLEM = journey_rules.PROBLEM, _("问题件")
    OTHER = journey_rules.OTHER, _("其他")


class Source(models.TextChoices):
    PUSH = "push", _("推送")
    PULL = "pull", _("拉取")


class ScanEvent(models.Model):
    """One scan of a waybill, as the transport system (TMS) reported it."""

    waybill = models.CharField(_("运单号"), max_length=40)
    scanned_at = models.DateTimeField(_("扫描时间"))
    scan_type = models.CharField(_("扫描类型"), max_length=16, choices=ScanType.choices)
    type_code = models.CharField(_("原始类型编码"), max_length=32, blank=True)
    unit_code = models.CharField(_("单位编码"), max_length=32, blank=True)
    unit_name = models.CharField(_("单位名称"), max_length=100, blank=True)
    # The courier or clerk who scanned it: staff see it, customers never do.
    operator = models.CharField(_("操作人"), max_length=50, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    # The TMS's event id, else a digest of the event: with scanned_at, the idempotency key.
    event_key = models.CharField(_("事件编号"), max_length=64)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("轨迹扫描")
        verbose_name_plural = _("轨迹扫描")
        ordering = ["waybill", "scanned_at", "id"]
        # Created in SQL by migration 0001 (the partitioned table); kept here for the reader:
        # UNIQUE (event_key, scanned_at) and INDEX (waybill, scanned_at).

    def __str__(self) -> str:
        return f"{self.waybill} {self.get_scan_type_display()} {self.scanned_at:%Y-%m-%d %H:%M}"

    def as_scan(self) -> journey_rules.Scan:
        return journey_rules.Scan(
            at=self.scanned_at,
            type=self.scan_type,
            unit_code=self.unit_code,
            unit_name=self.unit_name,
            operator=self.operator,
            detail=self.detail,
            code=self.type_code,
            key=self.event_key,
        )


class Waybill(models.Model):
    """What is known of a waybill besides its scans: the TMS's promise, its last scan, pulls."""

    tracking_no = models.CharField(_("运单号"), max_length=40, primary_key=True)
    promised_at = models.DateTimeField(_("承诺送达时间"), null=True, blank=True)
    service = models.CharField(_("产品类型"), max_length=40, blank=True)
    last_event_at = models.DateTimeField(_("最近扫描时间"), null=True, blank=True)
    last_scan_type = models.CharField(
        _("最近扫描类型"), max_length=16, choices=ScanType.choices, blank=True
    )
    last_unit_code = models.CharField(_("最近经手单位"), max_length=32, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_pulled_at = models.DateTimeField(_("最近拉取时间"), null=True, blank=True)
    # The TMS answered that it does not know the waybill (the last pull).
    unknown_to_tms = models.BooleanField(_("TMS无此运单"), default=False)
    first_seen_at = models.DateTimeField(_("首次记录时间"))

    class Meta:
        verbose_name = _("运单")
        verbose_name_plural = _("运单")
        ordering = ["-last_event_at"]
        indexes = [
            # The 滞留 sweep: parcels not signed whose last scan is old.
            models.Index(
                fields=["last_event_at"],
                name="waybill_unsigned_last_scan",
                condition=models.Q(signed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.tracking_no


class PullJob(models.Model):
    """A pull of a waybill's events from the TMS, owed: written in the transaction that causes
    it (a complaint accepted or dispatched, an agent looking it up), done by a Celery worker
    with retries and backoff. At most one is pending per waybill."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待拉取")
        RUNNING = "running", _("拉取中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败（已停止重试）")

    class Reason(models.TextChoices):
        ACCEPTED = "accepted", _("投诉受理")
        DISPATCHED = "dispatched", _("投诉下发")
        LOOKUP = "lookup", _("坐席查询")
        MANUAL = "manual", _("手动刷新")

    waybill = models.CharField(_("运单号"), max_length=40)
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("轨迹拉取任务")
        verbose_name_plural = _("轨迹拉取任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            # INSERT … ON CONFLICT DO NOTHING: a second request while one waits adds nothing.
            models.UniqueConstraint(
                fields=["waybill"],
                condition=models.Q(status="pending"),
                name="one_pending_pull_per_waybill",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="pulljob_due",
                condition=models.Q(status__in=["pending", "running"]),
            ),
            models.Index(fields=["waybill", "created_at"], name="pulljob_waybill"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill} {self.get_status_display()}"


class BreakerState(models.Model):
    """The circuit breaker in front of the TMS, shared by every worker (one row per name)."""

    name = models.CharField(_("名称"), max_length=32, primary_key=True)
    state = models.CharField(
        _("状态"),
        max_length=16,
        default=journey_rules.CLOSED,
        choices=[
            (journey_rules.CLOSED, _("闭合（正常）")),
            (journey_rules.OPEN, _("断开（暂停拉取）")),
            (journey_rules.HALF_OPEN, _("半开（试探中）")),
        ],
    )
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    open_until = models.DateTimeField(_("断开至"), null=True, blank=True)
    probe_until = models.DateTimeField(_("试探至"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("TMS断路器")
        verbose_name_plural = _("TMS断路器")

    def __str__(self) -> str:
        return f"{self.name}: {self.get_state_display()}"

    def as_rule(self) -> journey_rules.Breaker:
        return journey_rules.Breaker(self.state, self.failures, self.open_until, self.probe_until)


class RoutingRule(models.Model):
    """An ordered rule of 智能分单: which complaints it takes and where it sends them."""

    class Target(models.TextChoices):
        DELIVERY_UNIT = journey_rules.DELIVERY_UNIT, _("最后派件/签收网点")
        LAST_UNIT = journey_rules.LAST_UNIT, _("最后扫描单位")
        ORIGIN_UNIT = journey_rules.ORIGIN_UNIT, _("收件（始发）网点")
        FIXED_UNIT = journey_rules.FIXED_UNIT, _("指定单位")

    class Action(models.TextChoices):
        AUTO = journey_rules.AUTO, _("自动下发")
        SUGGEST = journey_rules.SUGGEST, _("仅建议，由坐席确认")

    class Fact(models.TextChoices):
        NONE = "", _("不要求")
        SUSPECTED_FALSE_SIGN = journey_rules.SUSPECTED_FALSE_SIGN, _("疑似虚假签收")
        STUCK = journey_rules.STUCK, _("滞留")
        LATE = journey_rules.LATE, _("延误（超过承诺时间）")

    name = models.CharField(_("规则名称"), max_length=60, unique=True)
    position = models.PositiveIntegerField(_("顺序"), default=100, help_text=_("小的先匹配"))
    is_active = models.BooleanField(_("启用"), default=True)
    categories = models.JSONField(
        _("投诉类别"), default=list, blank=True, help_text=_("不选表示任何类别")
    )
    parties = models.JSONField(
        _("投诉人身份"), default=list, blank=True, help_text=_("不选表示任何身份")
    )
    requires_fact = models.CharField(
        _("要求轨迹事实"), max_length=32, choices=Fact.choices, blank=True
    )
    target = models.CharField(_("责任单位取自"), max_length=16, choices=Target.choices)
    fixed_unit = models.ForeignKey(
        Unit,
        verbose_name=_("指定单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(
        _("匹配后"), max_length=16, choices=Action.choices, default=Action.AUTO
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("智能分单规则")
        verbose_name_plural = _("智能分单规则")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> journey_rules.RoutingRule:
        return journey_rules.RoutingRule(
            name=self.name,
            target=self.target,
            categories=frozenset(self.categories or ()),
            parties=frozenset(self.parties or ()),
            requires_fact=self.requires_fact,
            fixed_unit_code=self.fixed_unit.code if self.fixed_unit_id else "",
            action=self.action,
            rule_id=self.pk,
        )


class RoutingDecision(models.Model):
    """What 智能分单 decided for a complaint, with the rule and the scan it used."""

    class Outcome(models.TextChoices):
        DISPATCHED = "dispatched", _("已自动下发")
        SUGGESTED = "suggested", _("已建议")
        ACCEPTED = "accepted", _("坐席已采纳")
        DISMISSED = "dismissed", _("坐席未采纳")
        STALE = "stale", _("工单已另行处理")
        UNMATCHED = "unmatched", _("无匹配规则")

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(
        RoutingRule,
        verbose_name=_("规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    rule_name = models.CharField(_("规则名称"), max_length=60, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), null=True, blank=True, on_delete=models.PROTECT
    )
    scan = models.JSONField(_("依据扫描"), default=dict, blank=True)
    tried = models.JSONField(_("未采用的规则"), default=list, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    decided_at = models.DateTimeField(_("决定时间"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("智能分单记录")
        verbose_name_plural = _("智能分单记录")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["complaint", "decided_at"], name="routing_complaint")]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(outcome="suggested"),
                name="one_open_suggestion_per_complaint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_outcome_display()}"


class JourneyFact(models.Model):
    """A flag the journey raised on a complaint (疑似虚假签收, 滞留, 延误), with its scans.

    Kept when the scans themselves are dropped with their month's partition, so the record of
    why the complaint was flagged outlives the retention of the raw events.
    """

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("事实"),
        max_length=32,
        choices=[
            (journey_rules.SUSPECTED_FALSE_SIGN, _("疑似虚假签收")),
            (journey_rules.STUCK, _("滞留")),
            (journey_rules.LATE, _("延误")),
        ],
    )
    active = models.BooleanField(_("当前成立"), default=True)
    reason = models.CharField(_("依据类型"), max_length=32, blank=True)
    unit_code = models.CharField(_("单位编码"), max_length=32, blank=True)
    unit_name = models.CharField(_("单位名称"), max_length=100, blank=True)
    hours = models.PositiveIntegerField(_("小时数"), default=0)
    scans = models.JSONField(_("依据扫描"), default=list)
    evidence = models.JSONField(_("依据键"), default=list)
    detected_at = models.DateTimeField(_("发现时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("轨迹事实")
        verbose_name_plural = _("轨迹事实")
        ordering = ["complaint", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "kind"], name="one_fact_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_kind_display()}"


# Choices the routing rule's admin form offers (kept beside the models they come from).
CATEGORY_CHOICES = Category.choices
PARTY_CHOICES = Party.choices
