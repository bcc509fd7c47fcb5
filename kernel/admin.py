"""Admin of the outbox: supervisors see every message, retry failed ones, manage webhooks."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Notice, Notification, WebhookEndpoint
from .outbox.delivery import notification_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "template",
        "channel",
        "recipient_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "channel", "template")
    search_fields = ("topic", "context__ticket_no")
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送已停止重试的通知"), permissions=["change"])
    def retry(self, request, queryset):
        for notification in queryset.filter(status=Notification.Status.FAILED):
            notification_retry(notification=notification)
        self.message_user(request, _("已重新排队。"))


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "title", "read_at")
    list_filter = ("level",)
    readonly_fields = (
        "user",
        "notification",
        "complaint_id",
        "level",
        "title",
        "body",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("partner", "url", "events", "is_active", "created_at")
    list_filter = ("is_active",)
    raw_id_fields = ("partner",)

    def has_delete_permission(self, request, obj=None):
        return False  # Switch an endpoint off instead: its deliveries point to it.
