"""Admin: the 智能分单 rules are edited here (ordered); the rest is read-only for inspection."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import journey_rules
from .models import (
    CATEGORY_CHOICES,
    PARTY_CHOICES,
    BreakerState,
    JourneyFact,
    PullJob,
    RoutingDecision,
    RoutingRule,
    ScanEvent,
    Waybill,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoutingRuleForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("投诉类别"),
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示任何类别"),
    )
    parties = forms.MultipleChoiceField(
        label=_("投诉人身份"),
        choices=PARTY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示任何身份"),
    )

    class Meta:
        model = RoutingRule
        fields = (
            "name",
            "position",
            "is_active",
            "categories",
            "parties",
            "requires_fact",
            "target",
            "fixed_unit",
            "action",
        )

    def clean(self):
        cleaned = super().clean()
        target, unit = cleaned.get("target"), cleaned.get("fixed_unit")
        if target == journey_rules.FIXED_UNIT and unit is None:
            self.add_error("fixed_unit", _("“指定单位”规则须选择单位。"))
        if target != journey_rules.FIXED_UNIT and unit is not None:
            self.add_error("fixed_unit", _("只有“指定单位”规则才选择单位。"))
        return cleaned


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("position", "name", "is_active", "target", "action", "requires_fact")
    list_display_links = ("name",)
    list_editable = ("position", "is_active", "action")
    list_filter = ("is_active", "action", "target")
    ordering = ("position", "id")

    def has_delete_permission(self, request, obj=None):
        # The decisions name their rule: switch a rule off instead (is_active).
        return False


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "outcome", "rule_name", "unit", "decided_at", "resolved_by")
    list_filter = ("outcome",)
    search_fields = ("complaint__ticket_no", "complaint__tracking_no")
    list_select_related = ("complaint", "unit", "resolved_by")


@admin.register(JourneyFact)
class JourneyFactAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "kind", "active", "unit_name", "hours", "detected_at")
    list_filter = ("kind", "active")
    search_fields = ("complaint__ticket_no",)
    list_select_related = ("complaint",)


@admin.register(ScanEvent)
class ScanEventAdmin(ReadOnlyAdmin):
    list_display = ("waybill", "scanned_at", "scan_type", "type_code", "unit_name", "source")
    search_fields = ("=waybill",)  # exact: the index on (waybill, scanned_at) serves it
    show_full_result_count = False  # no COUNT(*) over billions of rows
    list_filter = ("scan_type", "source")

    def get_queryset(self, request):
        # Without a waybill the list would scan every month: show only a search's results.
        queryset = super().get_queryset(request)
        return queryset if request.GET.get("q") else queryset.none()


@admin.register(Waybill)
class WaybillAdmin(ReadOnlyAdmin):
    list_display = ("tracking_no", "last_scan_type", "last_unit_code", "last_event_at", "signed_at")
    search_fields = ("=tracking_no",)
    show_full_result_count = False


@admin.register(PullJob)
class PullJobAdmin(ReadOnlyAdmin):
    list_display = ("waybill", "reason", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "reason")
    search_fields = ("=waybill",)


@admin.register(BreakerState)
class BreakerStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "state", "failures", "open_until", "last_error", "updated_at")
