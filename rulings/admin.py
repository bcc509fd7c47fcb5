"""Admin: supervisors keep the assessment rules' versions; rulings, the ledger and disputes are
read-only here (they change only through rulings.services: locks, reversals, audit).

A version that a ruling already applied is frozen — the ledger names it and must keep meaning
what it meant. To change the figures, copy it into the next version with the action and set
the dates (the database refuses overlapping validity).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    AssessmentRule,
    AssessmentRuleLine,
    Dispute,
    DisputeEvidence,
    LedgerEntry,
    Ruling,
)

RULE_FIGURES = (
    "partial_share",
    "repeat_multiplier",
    "appeal_multiplier",
    "overdue_multiplier",
    "amount_cap",
    "points_cap",
    "dispute_days",
    "decision_days",
)


def _used(rule: AssessmentRule | None) -> bool:
    return rule is not None and rule.pk is not None and rule.rulings.exists()


class LineInline(admin.TabularInline):
    model = AssessmentRuleLine
    extra = 0
    fields = ("stage", "category", "amount", "points")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _used(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _used(obj)


@admin.register(AssessmentRule)
class AssessmentRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "valid_from",
        "valid_to",
        "partial_share",
        "repeat_multiplier",
        "appeal_multiplier",
        "overdue_multiplier",
        "amount_cap",
        "points_cap",
        "dispute_days",
        "decision_days",
    )
    inlines = (LineInline,)
    actions = ("copy_as_next_version",)
    fieldsets = (
        (None, {"fields": ("name", "valid_from", "valid_to", "notes")}),
        (_("部分有责与倍数"), {"fields": RULE_FIGURES[:4]}),
        (_("单宗投诉上限"), {"fields": ("amount_cap", "points_cap")}),
        (_("申诉"), {"fields": ("dispute_days", "decision_days")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if _used(obj):
            # Only the end of its validity may still move (to make room for the next version).
            return ("name", "valid_from", "notes", *RULE_FIGURES)
        return ()

    @admin.action(
        description=_("复制为下一版本（从明天起生效，本版本至今天止）"), permissions=["add"]
    )
    def copy_as_next_version(self, request, queryset):
        tomorrow = timezone.localdate() + timedelta(days=1)
        for rule in queryset.prefetch_related("lines"):
            try:
                with transaction.atomic():
                    if rule.valid_to is None or rule.valid_to >= tomorrow:
                        rule.valid_to = max(rule.valid_from, tomorrow - timedelta(days=1))
                        rule.save(update_fields=["valid_to", "updated_at"])
                    copy = AssessmentRule.objects.create(
                        name=f"{rule.name}（新版）",
                        valid_from=max(tomorrow, rule.valid_to + timedelta(days=1)),
                        notes=rule.notes,
                        **{name: getattr(rule, name) for name in RULE_FIGURES},
                    )
                    AssessmentRuleLine.objects.bulk_create(
                        AssessmentRuleLine(
                            rule=copy,
                            category=line.category,
                            stage=line.stage,
                            amount=line.amount,
                            points=line.points,
                        )
                        for line in rule.lines.all()
                    )
            except IntegrityError:
                self.message_user(
                    request,
                    _("“%(name)s”的下一版本与其他版本的有效期重叠，未复制。") % {"name": rule.name},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                _("已复制为“%(name)s”，自%(day)s起生效。")
                % {"name": copy.name, "day": copy.valid_from.isoformat()},
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ruling)
class RulingAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "verdict", "unit", "stage", "person", "amount", "points", "at")
    list_filter = ("verdict", "stage", "source")
    search_fields = ("complaint__ticket_no", "unit__code", "unit__name")
    list_select_related = ("complaint", "unit", "person")
    date_hierarchy = "at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "period", "unit", "person", "complaint", "kind", "count", "amount")
    list_filter = ("kind", "period", "stage")
    search_fields = ("complaint__ticket_no", "unit__code", "unit__name")
    list_select_related = ("complaint", "unit", "person")
    date_hierarchy = "at"


class EvidenceInline(admin.TabularInline):
    model = DisputeEvidence
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "unit", "status", "filed_at", "decision_due", "decided_at")
    list_filter = ("status",)
    search_fields = ("complaint__ticket_no", "unit__code")
    list_select_related = ("complaint", "unit")
    inlines = (EvidenceInline,)
