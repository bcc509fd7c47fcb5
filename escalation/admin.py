"""Admin for supervisors: SLA policies, the holiday calendar and the fired events.

Saving a policy or a calendar day recomputes the open complaints' deadlines in bulk batches
(a Celery task after commit). Pages of this app warn while a year the deadlines reach has no
holiday schedule (chinesecalendar does not know it and nobody has filled it in).
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    CalendarException,
    CalendarYear,
    EscalationLevel,
    SlaEvent,
    SlaPolicy,
)
from .sla_policies import calendar_gaps

log = logging.getLogger(__name__)


def schedule_recompute() -> None:
    """Recompute open complaints after commit; in this process if the broker is down."""

    def run():
        from .tasks import recompute_deadlines

        try:
            recompute_deadlines.delay()
        except Exception:  # the broker is down: do it here rather than not at all
            log.warning("broker unreachable: recomputing deadlines in process", exc_info=True)
            recompute_deadlines.apply()

    transaction.on_commit(run)


def warn_calendar_gaps(request) -> None:
    gaps = calendar_gaps(today=timezone.localdate())
    for year in gaps:
        messages.warning(
            request,
            _(
                "%(year)s年的法定节假日和调休安排尚未录入：系统暂按周末休息计算该年时限。"
                "请在“节假日/调休”中录入国务院公布的安排，并在“已录入年度”中登记%(year)s年。"
            )
            % {"year": year},
        )


class CalendarWarningMixin:
    def changelist_view(self, request, extra_context=None):
        warn_calendar_gaps(request)
        return super().changelist_view(request, extra_context)


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 0
    min_num = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "channel",
        "clock_type",
        "first_response_hours",
        "resolution_hours",
        "follow_up_hours",
        "statutory_days",
        "warning_share",
        "is_active",
    )
    list_filter = ("priority", "clock_type", "is_active")
    inlines = [EscalationLevelInline]
    fieldsets = (
        (None, {"fields": ("name", "priority", "channel", "is_active")}),
        (
            _("时限"),
            {
                "fields": (
                    "clock_type",
                    "first_response_hours",
                    "resolution_hours",
                    "follow_up_hours",
                    "statutory_days",
                    "warning_share",
                )
            },
        ),
        (
            _("营业时段（按工作时间计时）"),
            {"fields": ("opens_at", "closes_at", "business_weekdays", "closed_on_rest_days")},
        ),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # Switch a policy off instead: events keep its name.

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        schedule_recompute()
        messages.info(request, _("已按新策略重新计算未办结工单的时限。"))


@admin.register(CalendarException)
class CalendarExceptionAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ("day", "is_working_day", "note")
    list_filter = ("is_working_day",)
    date_hierarchy = "day"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        schedule_recompute()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        schedule_recompute()


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ("year", "source", "filled_by", "filled_at")
    readonly_fields = ("filled_by", "filled_at")

    def save_model(self, request, obj, form, change):
        if not obj.filled_by_id:
            obj.filled_by = request.user
        super().save_model(request, obj, form, change)
        schedule_recompute()


@admin.register(SlaEvent)
class SlaEventAdmin(admin.ModelAdmin):
    list_display = (
        "complaint",
        "timer",
        "kind",
        "level",
        "due_at",
        "fired_at",
        "overdue_seconds",
        "unit",
        "priority",
        "record_id",
    )
    list_filter = ("kind", "timer", "priority")
    search_fields = ("complaint__ticket_no",)
    list_select_related = ("complaint", "unit")
    date_hierarchy = "fired_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
