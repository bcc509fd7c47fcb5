"""Reply templates (答复口径), contact notes, follow-up call scripts (回访话术) and macros.

A template is company-wide (unit empty; supervisors own it) or its unit's (the unit's head
owns it). It never is deleted: switched off, its edits and every use stay in TemplateEvent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, NoDeleteModel, Priority, Unit


class TemplateKind(models.TextChoices):
    REPLY = "reply", _("答复口径")
    CONTACT = "contact", _("联系记录")
    FOLLOW_UP = "follow_up", _("回访话术")


class ReplyTemplate(NoDeleteModel):
    kind = models.CharField(_("类型"), max_length=16, choices=TemplateKind.choices)
    title = models.CharField(_("名称"), max_length=60)
    category = models.CharField(
        _("投诉类别"),
        max_length=16,
        choices=Category.choices,
        blank=True,
        help_text=_("为空表示适用于所有类别"),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reply_templates",
        help_text=_("为空表示全公司通用（由质量监控主管维护）"),
    )
    basic_facts = models.TextField(_("基本情况"), blank=True)
    handling = models.TextField(_("处理经过"), blank=True)
    result = models.TextField(_("处理结果"), blank=True)
    text = models.TextField(_("内容"), blank=True, help_text=_("联系记录或回访话术的正文"))
    is_active = models.BooleanField(_("启用"), default=True)
    use_count = models.PositiveIntegerField(_("使用次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("答复模板")
        verbose_name_plural = _("答复模板")
        ordering = ["kind", "title"]
        permissions = [
            ("manage_company_templates", _("可维护全公司通用的答复模板和宏")),
            ("manage_unit_templates", _("可维护本单位的答复模板和宏")),
        ]
        indexes = [
            # The picker: a complaint's active templates of one kind, its category and unit.
            models.Index(
                fields=["kind", "category", "unit"],
                condition=Q(is_active=True),
                name="playbook_template_pick",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "title", "unit"],
                nulls_distinct=False,
                name="playbook_template_unique_title",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def parts(self) -> dict[str, str]:
        """The texts a template fills: the three reply parts, or the one text."""
        if self.kind == TemplateKind.REPLY:
            return {
                "basic_facts": self.basic_facts,
                "handling": self.handling,
                "result": self.result,
            }
        return {"text": self.text}


class Macro(NoDeleteModel):
    """One click on a ticket: a category and a priority with their reasons, an internal note and
    a template."""

    title = models.CharField(_("名称"), max_length=60)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="macros",
        help_text=_("为空表示全公司通用（由质量监控主管维护）"),
    )
    priority = models.CharField(
        _("设为优先级"), max_length=16, choices=Priority.choices, blank=True
    )
    priority_reason = models.CharField(_("调整原因"), max_length=500, blank=True)
    # Issue 20 §1: a macro may also move the complaint to another category (with a reason).
    category = models.CharField(
        _("设为投诉类别"), max_length=16, choices=Category.choices, blank=True
    )
    category_reason = models.CharField(_("类别调整原因"), max_length=500, blank=True)
    note = models.TextField(_("内部备注"), blank=True, help_text=_("可使用占位符，客户不可见"))
    template = models.ForeignKey(
        ReplyTemplate,
        verbose_name=_("带出模板"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="macros",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("宏")
        verbose_name_plural = _("宏")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["title", "unit"], nulls_distinct=False, name="playbook_macro_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TemplateEvent(NoDeleteModel):
    """The audit of templates and macros: every creation, edit, switch-off and use."""

    class Action(models.TextChoices):
        CREATED = "created", _("新建")
        CHANGED = "changed", _("修改")
        DEACTIVATED = "deactivated", _("停用")
        USED = "used", _("使用")
        APPLIED = "applied", _("执行宏")

    template = models.ForeignKey(
        ReplyTemplate,
        verbose_name=_("模板"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    macro = models.ForeignKey(
        Macro,
        verbose_name=_("宏"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    action = models.CharField(_("动作"), max_length=16, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changes = models.JSONField(_("修改内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("模板审计记录")
        verbose_name_plural = _("模板审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["template", "-at"], name="playbook_event_template"),
            models.Index(fields=["macro", "-at"], name="playbook_event_macro"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(template__isnull=False) | Q(macro__isnull=False),
                name="playbook_event_has_subject",
            ),
        ]
