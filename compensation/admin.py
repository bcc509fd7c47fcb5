"""Admin: supervisors copy and edit carrier policies; claims are read-only with their trail.

Claims change only through compensation.services (separation of duties, rights by amount,
locks, audit rows), so the admin never adds, edits or deletes them — not even for a superuser:
it offers no way round the four-eyes rule. Policies are never deleted either: switch one off.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from . import exports
from .models import Claim, ClaimEvent, CompensationPolicy


@admin.register(CompensationPolicy)
class CompensationPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "insured_payout",
        "partial_damage",
        "uninsured_cap_multiple",
        "deemed_lost_after_days",
        "review_cap_cut_share",
        "is_default",
        "is_active",
        "based_on",
    )
    list_filter = ("is_active", "is_default", "insured_payout", "partial_damage")
    search_fields = ("code", "name")
    actions = ("copy_policies", "make_default")
    fieldsets = (
        (None, {"fields": ("code", "name", "notes", "is_active", "is_default", "based_on")}),
        (
            _("保价件（承运人保价规则，快递暂行条例第二十七条）"),
            {"fields": ("insured_payout", "partial_damage")},
        ),
        (
            _("未保价快件（合同限额，须已提示限额条款）"),
            {"fields": ("uninsured_cap_multiple",)},
        ),
        (_("延误与复核"), {"fields": ("deemed_lost_after_days", "review_cap_cut_share")}),
        (_("记录"), {"fields": ("created_at", "updated_at")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # claims keep pointing at the policy they were computed under

    def get_readonly_fields(self, request, obj=None):
        # The default is switched with the action, so exactly one row is default at any time.
        readonly = ["is_default", "based_on", "created_at", "updated_at"]
        if obj is not None:
            readonly.append("code")  # API clients and claims' snapshots name it
        return readonly

    @admin.action(description=_("复制所选规则（生成可编辑的副本）"), permissions=["add"])
    def copy_policies(self, request, queryset):
        made = []
        with transaction.atomic():
            for policy in queryset.order_by("code"):
                copy = CompensationPolicy.objects.get(pk=policy.pk)
                copy.pk = None
                copy.code = _free_code(policy.code)
                copy.name = f"{policy.name}（副本）"[:100]
                copy.based_on = policy.based_on or policy.code
                copy.is_default = False
                copy.is_active = True
                copy.save()
                made.append(copy.code)
        self.message_user(
            request,
            _("已复制：%(codes)s。请编辑副本。") % {"codes": "、".join(made)},
            messages.SUCCESS,
        )

    @admin.action(description=_("设为公司默认规则"), permissions=["change"])
    def make_default(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一条规则设为默认。"), messages.ERROR)
            return
        policy = queryset.get()
        if not policy.is_active:
            self.message_user(request, _("已停用的规则不能设为默认。"), messages.ERROR)
            return
        with transaction.atomic():
            # Lock the policy rows so two supervisors switching at once cannot leave two defaults.
            list(CompensationPolicy.objects.select_for_update().filter(is_default=True))
            CompensationPolicy.objects.filter(is_default=True).update(is_default=False)
            CompensationPolicy.objects.filter(pk=policy.pk).update(is_default=True)
        self.message_user(
            request, _("“%(name)s”已设为公司默认规则。") % {"name": policy.name}, messages.SUCCESS
        )


def _free_code(code: str) -> str:
    """Return `code-copy`, `code-copy2`, … — the first one not taken (max 40 characters)."""
    for n in range(1, 1000):
        suffix = "-copy" if n == 1 else f"-copy{n}"
        candidate = code[: 40 - len(suffix)] + suffix
        if not CompensationPolicy.objects.filter(code=candidate).exists():
            return candidate
    raise RuntimeError("too many copies of one policy")


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "amount", "actor", "reason", "details")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "complaint",
        "status",
        "incident",
        "service",
        "amount",
        "quoted_amount",
        "override_flagged",
        "needs_review",
        "proposed_by",
        "decided_by",
        "paid_by",
        "proposed_at",
        "assess_due",
        "settle_due",
    )
    list_filter = ("status", "override_flagged", "incident", "service", "needs_review", "basis")
    list_select_related = ("complaint", "proposed_by", "decided_by", "paid_by")
    search_fields = ("=complaint__ticket_no", "=payment_reference")
    date_hierarchy = "proposed_at"
    show_full_result_count = False
    inlines = (ClaimEventInline,)
    actions = ("export_csv", "export_xlsx")

    @admin.action(description=_("导出所选赔偿申请（CSV）"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(exports.to_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename("csv")}"'
        return response

    @admin.action(description=_("导出所选赔偿申请（Excel）"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        response = HttpResponse(
            exports.to_xlsx(queryset),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{exports.filename("xlsx")}"'
        return response

    def has_add_permission(self, request):
        return False  # claims are proposed on the ticket (panel or API), with the engine's quote

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
