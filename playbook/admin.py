"""Admin of templates and macros: listed with their use; saved through the services (so the
reply checks, ownership and the audit apply here too); never deleted, switched off instead."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError

from . import placeholders, services
from .models import Macro, ReplyTemplate, TemplateEvent

_PLACEHOLDER_HELP = _("可用占位符：") + "、".join(f"{{{p}}}" for p in placeholders.PLACEHOLDERS)


class _ServiceForm(forms.ModelForm):
    """Run the service's checks in clean() so a refusal shows on the form, not as an error page."""

    user = None

    def _check(self, call) -> None:
        try:
            call()
        except DomainError as error:
            for name, message in error.field_errors.items():
                self.add_error(name if name in self.fields else None, message)
            if not error.field_errors:
                self.add_error(None, error.message)


class TemplateForm(_ServiceForm):
    class Meta:
        model = ReplyTemplate
        fields = ("kind", "title", "category", "unit", "basic_facts", "handling", "result", "text")
        help_texts = {
            name: _PLACEHOLDER_HELP for name in ("basic_facts", "handling", "result", "text")
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        kind = data.get("kind")
        parts = (
            {name: data.get(name, "") for name in services.REPLY_FIELDS}
            if kind == "reply"
            else {"text": data.get("text", "")}
        )
        unit = data.get("unit")
        if not services.may_manage(self.user, unit) or (
            self.instance.pk and not services.may_manage(self.user, self.instance.unit)
        ):
            self.add_error("unit", _("您不能维护这个范围的模板。"))
        for name, message in services.template_problems(kind, parts).items():
            self.add_error(name, message)
        return data


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = (
        "title",
        "kind",
        "category",
        "unit",
        "is_active",
        "use_count",
        "updated_at",
        "updated_by",
    )
    list_filter = ("kind", "category", "is_active", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "basic_facts", "handling", "result", "text")
    list_select_related = ("unit", "updated_by")
    actions = ("deactivate",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        data = services.TemplateInput(
            kind=obj.kind,
            title=obj.title,
            category=obj.category,
            unit_id=obj.unit_id,
            basic_facts=obj.basic_facts,
            handling=obj.handling,
            result=obj.result,
            text=obj.text,
        )
        saved = services.template_save(
            by=request.user,
            data=data,
            template=ReplyTemplate.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk

    @admin.action(description=_("停用所选模板"))
    def deactivate(self, request, queryset):
        for template in queryset.filter(is_active=True):
            try:
                services.template_deactivate(by=request.user, template=template)
            except DomainError as error:
                self.message_user(request, f"{template.title}：{error.message}", level="error")

    def has_delete_permission(self, request, obj=None):
        return False


class MacroForm(_ServiceForm):
    class Meta:
        model = Macro
        fields = (
            "title",
            "unit",
            "category",
            "category_reason",
            "priority",
            "priority_reason",
            "note",
            "template",
        )
        help_texts = {"note": _PLACEHOLDER_HELP}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        unit = data.get("unit")
        if not services.may_manage(self.user, unit):
            self.add_error("unit", _("您不能维护这个范围的宏。"))
            return data
        template = data.get("template")
        self._check(
            lambda: services.clean_macro(
                services.MacroInput(
                    title=data.get("title", ""),
                    unit_id=unit.pk if unit else None,
                    priority=data.get("priority", ""),
                    priority_reason=data.get("priority_reason", ""),
                    category=data.get("category", ""),
                    category_reason=data.get("category_reason", ""),
                    note=data.get("note", ""),
                    template_id=template.pk if template else None,
                ),
                unit,
            )
        )
        return data


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroForm
    list_display = (
        "title",
        "unit",
        "priority",
        "template",
        "is_active",
        "updated_at",
        "updated_by",
    )
    list_filter = ("is_active", "priority", ("unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "note")
    list_select_related = ("unit", "template", "updated_by")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        data = services.MacroInput(
            title=obj.title,
            unit_id=obj.unit_id,
            priority=obj.priority,
            priority_reason=obj.priority_reason,
            category=obj.category,
            category_reason=obj.category_reason,
            note=obj.note,
            template_id=obj.template_id,
        )
        saved = services.macro_save(
            by=request.user, data=data, macro=Macro.objects.get(pk=obj.pk) if change else None
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TemplateEvent)
class TemplateEventAdmin(admin.ModelAdmin):
    """The audit: who created, changed, switched off or used which template or macro, when."""

    list_display = ("at", "action", "template", "macro", "by", "complaint")
    list_filter = ("action",)
    search_fields = ("template__title", "macro__title", "complaint__ticket_no")
    list_select_related = ("template", "macro", "by", "complaint")
    readonly_fields = ("at", "action", "template", "macro", "by", "complaint", "changes")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
