"""The truth of the data: units, staff, complaints and everything recorded on them.

Models hold fields, choices, constraints and FSM transitions that only change memory. Writes go
through complaints.services, which check permissions, save, audit and queue side effects.
Nothing here is ever deleted: withdrawals, rejections and merges are states (SPEC §9).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMFieldMixin, transition

from .search_index import searchable_text


class NoDeleteQuerySet(models.QuerySet):
    """A queryset that refuses bulk deletes: records are kept, states say what happened."""

    def delete(self):
        raise PermissionError("投诉相关记录不可删除")


class GuardedStateMixin(ConcurrentTransitionMixin):
    """django-fsm's guard against concurrent transitions, with the state fields found once.

    django-fsm searches every field of the model for its state fields whenever an instance is
    created or saved: most of the CPU of building a page of 25 complaints (docs/api.md,
    Benchmark). The fields of a model class do not change at run time.
    """

    @property
    def state_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_guarded_state_fields")
        if fields is None:
            fields = tuple(f for f in cls._meta.fields if isinstance(f, FSMFieldMixin))
            cls._guarded_state_fields = fields
        return fields


class NoDeleteModel(models.Model):
    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise PermissionError("投诉相关记录不可删除")


class AppendOnlyQuerySet(NoDeleteQuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计记录只可追加，不可修改")


class AppendOnlyModel(models.Model):
    """An audit row: written once, never changed or deleted (PostgreSQL triggers back this up)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录只可追加，不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只可追加，不可删除")


# --- Organisation -------------------------------------------------------------------------


class Unit(NoDeleteModel):
    """A unit of the company: company → region → branch (网点), the 责任单位 of a complaint."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("公司")
        REGION = "region", _("区域")
        BRANCH = "branch", _("网点")

    code = models.CharField(_("单位编码"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
        help_text=_("一级升级通知的对象"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # Assignment to a person inside the unit (issue 20 §2): when on, a complaint dispatched
    # here goes to the least-loaded staff member on duty below the cap of open complaints.
    auto_assign = models.BooleanField(_("自动分配处理人"), default=False)
    assign_cap = models.PositiveSmallIntegerField(
        _("每人在办上限"), default=30, help_text=_("自动分配时，在办工单达到此数的人员不再分配")
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Role(models.TextChoices):
    AGENT = "agent", _("客服坐席")
    BRANCH = "branch", _("网点人员")
    SUPERVISOR = "supervisor", _("质量监控主管")
    PARTNER = "partner", _("接口合作方")


class StaffProfile(NoDeleteModel):
    """The role of a user, and for branch staff the one unit they work for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Only staff on duty receive automatically assigned complaints (issue 20 §2).
    on_duty = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="branch") | models.Q(unit__isnull=False),
                name="branch_staff_has_unit",
                violation_error_message=_("网点人员必须绑定一个单位"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()}（{self.get_role_display()}）"


# --- The complaint ------------------------------------------------------------------------


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("受理")
    VERIFYING = "verifying", _("核实")
    ANSWERED = "answered", _("反馈")
    FOLLOW_UP = "follow_up", _("回访")
    CLOSED = "closed", _("闭环")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("撤诉")


OPEN_STATES = (Status.ACCEPTED, Status.VERIFYING, Status.ANSWERED, Status.FOLLOW_UP)
PAUSABLE_STATES = (Status.ACCEPTED, Status.VERIFYING)


class Channel(models.TextChoices):
    API = "api", _("接口")
    PHONE = "phone", _("电话")
    COUNTER = "counter", _("柜台")
    WEB = "web", _("网站")
    EMAIL = "email", _("邮件")
    REGULATOR = "regulator", _("监管转办")


class Party(models.TextChoices):
    SENDER = "sender", _("寄件人")
    RECIPIENT = "recipient", _("收件人")
    AGENT = "agent", _("授权代理人")


class Category(models.TextChoices):
    DELAY = "delay", _("延误")
    LOSS = "loss", _("丢失")
    DAMAGE = "damage", _("损毁")
    SHORT = "short", _("内件短少")
    MISDELIVERY = "misdelivery", _("误投/虚假签收")
    ATTITUDE = "attitude", _("服务态度")
    FEE = "fee", _("收费")
    OTHER = "other", _("其他")


class Demand(models.TextChoices):
    COMPENSATION = "compensation", _("赔偿")
    REDELIVERY = "redelivery", _("重新投递")
    APOLOGY = "apology", _("道歉")
    OTHER = "other", _("其他")


class Service(models.TextChoices):
    EXPRESS = "express", _("快件")
    POSTAL_REGISTERED = "postal_registered", _("给据邮件")
    REGISTERED_LETTER = "registered_letter", _("挂号信件")
    POSTAL_ORDINARY = "postal_ordinary", _("平常邮件")


class Priority(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("重大紧急")


class ComplaintQuerySet(NoDeleteQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def visible_to(self, user):
        """Complaints this staff user may see: branch staff only their own unit's (SPEC §9)."""
        profile = getattr(user, "staff", None)
        if user.is_superuser or (profile and profile.role in (Role.AGENT, Role.SUPERVISOR)):
            return self
        if profile and profile.role == Role.BRANCH:
            return self.filter(unit_id=profile.unit_id)
        return self.none()

    def same_waybill(self, tracking_no: str):
        return self.filter(tracking_no=tracking_no).order_by("-accepted_at")


_MIN_0 = [MinValueValidator(0)]  # amounts of money are never negative
# A ticket number is letters and digits: anything else is "not found" before a query runs
# (routes, the services' lookups; PostgreSQL refuses a NUL byte in text with an error).
TICKET_NO_PATTERN = "[A-Za-z0-9]{1,24}"


class Complaint(GuardedStateMixin, NoDeleteModel):
    """A complaint from acceptance (受理) to the closed loop (闭环)."""

    ticket_no = models.CharField(_("工单号"), max_length=24, unique=True, editable=False)
    status = FSMField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACCEPTED, protected=True
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)

    # Who complains, about what. These fields' rules (length, choices, blank, minimum) are the
    # intake's: the API's serializer and the console's form are built from them, and
    # complaints.services.intake checks them for every other caller.
    tracking_no = models.CharField(_("运单号"), max_length=40, db_index=True)
    complainant_name = models.CharField(_("投诉人姓名"), max_length=50)
    # As typed (spaces, dashes, +86 fit in 30); stored normalised, digits only (kernel.privacy).
    phone = models.CharField(_("联系电话"), max_length=30, help_text=_("手机号或带区号的固定电话"))
    party = models.CharField(_("投诉人身份"), max_length=16, choices=Party.choices)
    category = models.CharField(_("投诉类别"), max_length=16, choices=Category.choices)
    description = models.TextField(_("投诉内容"), max_length=5000)
    demand = models.CharField(_("诉求"), max_length=16, choices=Demand.choices, blank=True)
    demand_detail = models.TextField(_("诉求说明"), max_length=2000, blank=True)

    # Shipment facts (for compensation).
    service = models.CharField(
        _("业务类型"), max_length=24, choices=Service.choices, default=Service.EXPRESS
    )
    insured = models.BooleanField(_("保价"), default=False)
    insured_amount = models.DecimalField(
        _("保价金额"), max_digits=12, decimal_places=2, null=True, blank=True, validators=_MIN_0
    )
    declared_value = models.DecimalField(
        _("申报价值"), max_digits=12, decimal_places=2, null=True, blank=True, validators=_MIN_0
    )
    freight = models.DecimalField(
        _("资费"), max_digits=10, decimal_places=2, null=True, blank=True, validators=_MIN_0
    )

    # Handling.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        # No index of its own: four composite indexes lead with it (queue, cluster, keyset).
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首问责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_complaints",
    )
    # 处理人: the one person of the responsible unit who works on it (issue 20 §2); empty when
    # unassigned, cleared when the complaint moves to another unit.
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_complaints",
        # Indexed with the unit and state below (complaint_unit_handler).
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_complaints",
        help_text=_("坐席或接口合作方；客户自助提交时为空"),
    )
    priority = models.CharField(
        _("优先级"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    urgent_reasons = models.JSONField(_("紧急原因"), default=list, blank=True)
    # When it became urgent (or external): its urgent targets count from then, never from
    # acceptance (issue 18). Empty for a normal complaint; set at acceptance for one urgent then.
    urgent_since = models.DateTimeField(_("转为紧急时间"), null=True, blank=True)
    key_account = models.BooleanField(_("大客户/敏感客户"), default=False)
    urgent_contents = models.BooleanField(_("证照或贵重物品"), default=False)
    is_escalated = models.BooleanField(_("投诉升级"), default=False)
    is_external = models.BooleanField(_("外部投诉"), default=False)
    justified = models.BooleanField(_("有理由投诉"), null=True, blank=True)
    chase_count = models.PositiveIntegerField(_("催促次数"), default=0)

    # Links: a repeat points to the earlier complaint; a merged duplicate to the one kept.
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("重复于"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
    )
    repeat_count = models.PositiveIntegerField(_("重复投诉次数"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )

    # The customer's secret for reading their own ticket; only its SHA-256 is stored.
    access_code_hash = models.CharField(max_length=64, editable=False)

    # Timestamps.
    accepted_at = models.DateTimeField(_("受理时间"), db_index=True)
    dispatched_at = models.DateTimeField(_("下发时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("重新下发时间"), null=True, blank=True)
    first_answered_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("本轮答复时间"), null=True, blank=True)
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("闭环时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Deadlines (SPEC §4), recomputed in the same transaction as every change affecting them.
    first_response_due = models.DateTimeField(_("首次响应时限"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("处理时限"), null=True, blank=True)
    follow_up_due = models.DateTimeField(_("回访时限"), null=True, blank=True)
    statutory_due = models.DateTimeField(_("法定答复时限"), null=True, blank=True)
    next_deadline = models.DateTimeField(_("最近时限"), null=True, blank=True)
    # When the SLA sweep must look at this complaint next (a warning, breach or escalation is
    # due then); set by escalation.sla_deadlines, cleared when nothing is scheduled.
    sla_next_check = models.DateTimeField(_("下次时限检查"), null=True, blank=True, editable=False)

    # Waiting for the customer stops the resolution clock (SPEC §2).
    paused_at = models.DateTimeField(_("暂停于"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("累计暂停秒数"), default=0)

    # Outcome of the follow-up call and the customer's rating.
    satisfied = models.BooleanField(_("客户满意"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度评分"), null=True, blank=True)
    # When the customer gave (or last changed) the rating; only the customer rates (issue 19).
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉工单")
        verbose_name_plural = _("投诉工单")
        ordering = ["-accepted_at"]
        indexes = [
            # (Open complaints by nearest deadline: complaint_open_summary, created on
            # PostgreSQL by complaints/web/migrations/0001_queue_index.py, with the priority.)
            # The SLA sweep: an index range scan over what is due, nearest first.
            models.Index(
                fields=["sla_next_check"],
                name="complaint_sla_next_check",
                condition=models.Q(sla_next_check__isnull=False),
            ),
            # A branch's queue: its open complaints by nearest deadline.
            models.Index(fields=["unit", "status", "next_deadline"], name="complaint_unit_queue"),
            # Repeat detection and the customer's earlier complaints.
            models.Index(fields=["phone", "category"], name="complaint_phone_category"),
            # Cluster detection (same unit and category in a window).
            models.Index(fields=["unit", "category", "accepted_at"], name="complaint_cluster"),
            models.Index(fields=["status", "accepted_at"], name="complaint_status_accepted"),
            # 我的工单 / 未分配 and each person's load: a unit's open complaints by handler.
            models.Index(fields=["unit", "handler", "status"], name="complaint_unit_handler"),
            # The API's staff list: keyset pages by (next_deadline, id), whole company or a unit.
            models.Index(fields=["next_deadline", "id"], name="complaint_deadline_keyset"),
            models.Index(
                fields=["unit", "next_deadline", "id"], name="complaint_unit_deadline_keyset"
            ),
            models.Index(fields=["status", "next_deadline", "id"], name="complaint_status_keyset"),
            # The search box (complaints.search): any part of a number, any word of the text,
            # through pg_trgm trigrams (migration 0011 creates the extension first).
            GinIndex(fields=["phone"], name="complaint_phone_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(
                fields=["tracking_no"], name="complaint_tracking_trgm", opclasses=["gin_trgm_ops"]
            ),
            GinIndex(
                fields=["ticket_no"], name="complaint_ticket_trgm", opclasses=["gin_trgm_ops"]
            ),
            GinIndex(OpClass(searchable_text(), name="gin_trgm_ops"), name="complaint_text_trgm"),
        ]
        permissions = [
            ("dispatch_complaint", _("可下发/改派工单")),
            ("contact_customer", _("可记录联系客户")),
            ("pause_complaint", _("可暂停/恢复计时")),
            ("reply_complaint", _("可提交处理答复")),
            ("follow_up_complaint", _("可回访、闭环或重新下发")),
            ("reject_complaint", _("可不予受理/合并")),
            ("withdraw_complaint", _("可登记撤诉")),
            ("set_priority", _("可调整优先级/有理由判定")),
            ("escalate_complaint", _("可标记投诉升级")),
            ("note_complaint", _("可添加内部备注")),
            ("view_personal_data", _("可查看完整客户信息")),
        ]

    def __str__(self) -> str:
        return self.ticket_no

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None or self.repeat_count > 0

    @property
    def masked_phone(self) -> str:
        from kernel.privacy import mask_phone

        return mask_phone(self.phone)

    # Transitions change memory only; services persist, audit and notify.

    @transition(field=status, source=Status.ACCEPTED, target=Status.VERIFYING)
    def dispatch(self):
        """受理 → 核实: hand the complaint to its responsible unit."""

    @transition(field=status, source=Status.VERIFYING, target=Status.VERIFYING)
    def reassign(self):
        """核实 → 核实: hand it to another unit (wrongly dispatched)."""

    @transition(field=status, source=Status.VERIFYING, target=Status.ANSWERED)
    def reply(self):
        """核实 → 反馈: the unit gave its structured reply."""

    @transition(field=status, source=Status.ANSWERED, target=Status.FOLLOW_UP)
    def start_follow_up(self):
        """反馈 → 回访: the customer-service centre calls the customer."""

    @transition(field=status, source=Status.FOLLOW_UP, target=Status.CLOSED)
    def close(self):
        """回访 → 闭环: the customer is satisfied or has no objection."""

    @transition(field=status, source=[Status.FOLLOW_UP, Status.CLOSED], target=Status.VERIFYING)
    def reopen(self):
        """回访/闭环 → 核实: the customer is not satisfied; the unit handles it again (重新下发)."""

    @transition(field=status, source=[Status.ACCEPTED, Status.VERIFYING], target=Status.REJECTED)
    def reject(self):
        """→ 不予受理: out of scope, or a duplicate merged into another complaint."""

    @transition(field=status, source=list(OPEN_STATES), target=Status.WITHDRAWN)
    def withdraw(self):
        """→ 撤诉: the customer withdraws; allowed from any open state."""

    @transition(
        field=status,
        source=[Status.CLOSED, Status.REJECTED, Status.WITHDRAWN],
        target=Status.VERIFYING,
    )
    def reinstate(self):
        """闭环/不予受理/撤诉 → 核实: the regulator forwarded an appeal about it (申诉)."""

    @transition(field=status, source=[Status.REJECTED, Status.WITHDRAWN], target=Status.ACCEPTED)
    def reinstate_for_dispatch(self):
        """不予受理/撤诉 → 受理: as reinstate, for a complaint that never reached a unit."""


class TicketSequence(models.Model):
    """The last ticket number given out on a day (Asia/Shanghai); bumped with one atomic upsert."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("工单号序列")
        verbose_name_plural = _("工单号序列")

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d}: {self.last}"


class ActorKind(models.TextChoices):
    STAFF = "staff", _("员工")
    CUSTOMER = "customer", _("客户")
    PARTNER = "partner", _("合作方")
    SYSTEM = "system", _("系统")


class ComplaintTransition(AppendOnlyModel):
    """The audit trail: one row per change, written in the same transaction as the change."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="transitions"
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
    actor_kind = models.CharField(_("操作人类型"), max_length=16, choices=ActorKind.choices)
    transition = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16, choices=Status.choices)
    to_state = models.CharField(_("新状态"), max_length=16, choices=Status.choices)
    reason = models.TextField(_("原因/说明"), blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="transition_complaint_at")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.transition} {self.from_state}→{self.to_state}"


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    VISIT = "visit", _("上门")
    OTHER = "other", _("其他")


class Contact(NoDeleteModel):
    """A contact with the customer: who, when, how, what (counts as the first response)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="contacts"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("联系人"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("联系时间"))
    method = models.CharField(_("方式"), max_length=16, choices=ContactMethod.choices)
    summary = models.TextField(_("内容"))
    reached = models.BooleanField(_("已联系上"), default=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_method_display()} {self.at:%Y-%m-%d %H:%M}"


class Reply(NoDeleteModel):
    """The unit's structured reply: 基本情况 / 处理经过 / 处理结果 (回复要素, seed 001)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="replies"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("答复单位"), on_delete=models.PROTECT)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("答复时间"))
    basic_facts = models.TextField(_("基本情况"))
    handling = models.TextField(_("处理经过"))
    result = models.TextField(_("处理结果"))
    customer_accepts = models.BooleanField(_("客户是否认可"), null=True, blank=True)
    facts_confirmed = models.BooleanField(_("投诉属实"), default=False)
    our_fault = models.BooleanField(_("属我方责任"), default=False)

    class Meta:
        verbose_name = _("处理答复")
        verbose_name_plural = _("处理答复")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} 答复 {self.at:%Y-%m-%d %H:%M}"


class FollowUpOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("满意/无异议")
    UNSATISFIED = "unsatisfied", _("不满意")
    NOT_CALLED = "not_called", _("不回访（注明原因）")


class FollowUp(NoDeleteModel):
    """The follow-up call (回访): the customer's attitude and whether the reply was true."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("回访时间"))
    outcome = models.CharField(_("回访结果"), max_length=16, choices=FollowUpOutcome.choices)
    customer_words = models.TextField(_("客户意见"), blank=True)
    reply_truthful = models.BooleanField(_("答复属实"), null=True, blank=True)

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} 回访 {self.get_outcome_display()}"


class Note(NoDeleteModel):
    """An internal note between staff: never shown to the customer."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="notes"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("作者"), on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("时间"))
    text = models.TextField(_("内容"))

    class Meta:
        verbose_name = _("内部备注")
        verbose_name_plural = _("内部备注")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} 备注 {self.at:%Y-%m-%d %H:%M}"


class PauseInterval(NoDeleteModel):
    """A stretch of waiting for the customer; the resolution deadline moves out by its length."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="pauses"
    )
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["started_at"]
        constraints = [
            # At most one open pause per complaint.
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_pause_per_complaint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} 暂停 {self.reason}"


class PersonalDataAccess(models.Model):
    """Every view of a customer's full personal data, for the privacy audit (SPEC §9)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    purpose = models.CharField(_("用途"), max_length=100, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户信息查看记录")
        verbose_name_plural = _("客户信息查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} 查看 {self.complaint_id}"


class SavedView(models.Model):
    """A named filter set of a list (issue 20 §3): personal, or shared with a unit by its head.

    The filters are kept as the list's query string, so a saved view is exactly the URL the
    user had on screen; complaints.filters reads it the same way for pages and the API.
    """

    class List(models.TextChoices):
        QUEUE = "queue", _("网点工单队列")
        CONSOLE = "console", _("客服工作台")

    name = models.CharField(_("名称"), max_length=40)
    list = models.CharField(_("列表"), max_length=16, choices=List.choices)
    query = models.CharField(_("筛选条件"), max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    # Shared with every member of this unit; empty for a personal view.
    shared_unit = models.ForeignKey(
        Unit,
        verbose_name=_("共享给单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shared_views",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("保存的视图")
        verbose_name_plural = _("保存的视图")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list", "name"], name="unique_saved_view")
        ]
        indexes = [models.Index(fields=["shared_unit", "list"], name="saved_view_shared")]

    def __str__(self) -> str:
        return self.name


class Phrase(models.Model):
    """Configurable phrase lists: vague replies to refuse, and words that make a case urgent."""

    class Kind(models.TextChoices):
        VAGUE_REPLY = "vague_reply", _("模糊答复用语")
        EVASIVE_REPLY = "evasive_reply", _("推诿用语（答复中一律不得出现）")
        URGENT_THREAT = "urgent_threat", _("紧急：投诉升级/外部渠道用语")
        URGENT_DEMAND = "urgent_demand", _("紧急：强烈要求立即答复用语")
        URGENT_CONTENTS = "urgent_contents", _("紧急：证照/贵重物品用语")

    kind = models.CharField(_("类别"), max_length=24, choices=Kind.choices)
    text = models.CharField(_("用语"), max_length=50)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("关键词/用语")
        verbose_name_plural = _("关键词/用语")
        ordering = ["kind", "text"]
        constraints = [models.UniqueConstraint(fields=["kind", "text"], name="unique_phrase")]

    def __str__(self) -> str:
        return self.text

    @classmethod
    def active(cls, kind: str) -> list[str]:
        from kernel import refdata  # cached per process until a phrase changes

        return list(refdata.current()["phrases"].get(kind, ()))

    @classmethod
    def load_active(cls) -> dict[str, tuple[str, ...]]:
        """The active phrases by kind: this app's part of the reference data (kernel.refdata)."""
        phrases: dict[str, list[str]] = {}
        for kind, text in cls.objects.filter(is_active=True).values_list("kind", "text"):
            phrases.setdefault(kind, []).append(text)
        return {kind: tuple(texts) for kind, texts in phrases.items()}


def evidence_path(instance, filename: str) -> str:
    # Stored under a random name: the customer's file name is kept only as data.
    return f"evidence/{instance.uploaded_at:%Y/%m}/{instance.token}{instance.extension}"


class EvidenceFile(NoDeleteModel):
    """A stored image or PDF, checked by content (SPEC §9): a complaint's or a dispute's."""

    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=120, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]


class Attachment(EvidenceFile):
    """Evidence attached to a complaint by the customer or staff."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_by_kind = models.CharField(_("上传方"), max_length=16, choices=ActorKind.choices)

    class Meta(EvidenceFile.Meta):
        verbose_name = _("证据附件")
        verbose_name_plural = _("证据附件")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.original_name or self.token}"


class EvidenceUsage(models.Model):
    """Evidence stored on one day: for the whole site, and per client address (issue 19 §4).

    One row per day and scope, counted up inside the upload's transaction by a conditional
    upsert (complaints.attachments), so a refused or failed upload counts nothing. Addresses
    are kept only as a keyed hash: the row says how much, never who.
    """

    class Scope(models.TextChoices):
        SITE = "site", _("全站")
        ADDRESS = "address", _("客户端地址")

    day = models.DateField(_("日期"))
    scope = models.CharField(_("范围"), max_length=8, choices=Scope.choices)
    key = models.CharField(_("地址摘要"), max_length=64, blank=True)
    files = models.PositiveIntegerField(_("文件数"), default=0)
    total_bytes = models.BigIntegerField(_("字节数"), default=0)

    class Meta:
        verbose_name = _("证据用量")
        verbose_name_plural = _("证据用量")
        constraints = [
            models.UniqueConstraint(fields=["day", "scope", "key"], name="evidence_usage_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope} {self.files}"
