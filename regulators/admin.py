"""Admin for appeals: read-mostly, nothing can be deleted (records are kept at least 3 years).

Appeals are registered and moved through the API (the services check permissions, keep the
deadlines and write the audit trail); the admin shows them, their events and reminders, and
downloads the report to the regulator.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .api import docx_response
from .models import (
    Appeal,
    AppealEvent,
    AppealReminder,
    IndustryAverage,
    ParcelVolume,
    ProblemTypeMapping,
    VolumeSource,
)

RETENTION_NOTE = _("申诉记录至少保存3年（SPEC §6）：系统不提供删除，数据库触发器亦拒绝删除。")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": RETENTION_NOTE}
        return super().changelist_view(request, extra_context=extra_context)


class AppealEventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "from_state", "to_state", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = (
        "case_no",
        "state",
        "outcome",
        "province",
        "complaint",
        "received_at",
        "company_report_due",
        "mediation_feedback_due",
        "regulator_reply_due",
        "report_sent_at",
    )
    list_filter = ("state", "outcome", "province", "received_at")
    search_fields = ("case_no", "tracking_no", "complaint__ticket_no")
    list_select_related = ("complaint",)
    date_hierarchy = "received_at"
    inlines = (AppealEventInline,)
    actions = ("download_report",)
    exclude = ("appellant_phone",)

    @admin.action(description=_("下载申诉处理情况报告（Word）"))
    def download_report(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一条申诉下载报告。"), messages.WARNING)
            return None
        return docx_response(queryset.select_related("complaint").get())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AppealEvent)
class AppealEventAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "at", "actor", "action", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("appeal__case_no",)
    list_select_related = ("appeal", "actor")


@admin.register(AppealReminder)
class AppealReminderAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "kind", "stage", "due_at", "sent_at")
    list_filter = ("kind", "stage")
    search_fields = ("appeal__case_no",)
    list_select_related = ("appeal",)


# --- The bureau's figures (issue 23) ------------------------------------------------------


@admin.register(ParcelVolume)
class ParcelVolumeAdmin(admin.ModelAdmin):
    """Volumes typed in by a supervisor; files go through the 监管指标 page's import."""

    list_display = ("month", "unit", "province", "parcels", "source", "updated_by", "updated_at")
    list_filter = ("month", "province", "source")
    search_fields = ("unit__code", "unit__name")
    list_select_related = ("unit", "updated_by")
    fields = ("month", "unit", "province", "parcels")
    autocomplete_fields = ()

    def save_model(self, request, obj, form, change):
        obj.month = obj.month.replace(day=1)
        obj.source = VolumeSource.ADMIN
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A wrong figure is corrected, not removed: the rates of a published month must not
        # silently turn into "—".
        return False


@admin.register(ProblemTypeMapping)
class ProblemTypeMappingAdmin(admin.ModelAdmin):
    list_display = ("category", "problem_type", "updated_at")
    list_editable = ("problem_type",)

    def changelist_view(self, request, extra_context=None):
        note = _(
            "每个投诉类别只对应一个监管问题类型；未列出的类别按默认对照计入"
            "（regulators/bureau.py DEFAULT_MAPPING，口径见 docs/dashboard.md）。"
        )
        extra_context = {**(extra_context or {}), "subtitle": note}
        return super().changelist_view(request, extra_context=extra_context)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IndustryAverage)
class IndustryAverageAdmin(admin.ModelAdmin):
    list_display = ("period", "appeal_rate", "effective_appeal_rate", "satisfaction", "source")
    search_fields = ("period",)
