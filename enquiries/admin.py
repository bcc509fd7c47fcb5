"""Admin for enquiries: read-only (recorded and converted through the desk and the API)."""

from django.contrib import admin

from .models import Enquiry, EnquiryContact


class ContactInline(admin.TabularInline):
    model = EnquiryContact
    extra = 0
    can_delete = False
    fields = ("at", "channel", "by", "question", "answer")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enquiry)
class EnquiryAdmin(admin.ModelAdmin):
    list_display = (
        "tracking_no",
        "status",
        "channel",
        "first_contact_at",
        "resolve_due",
        "contact_count",
        "conversion_reason",
        "complaint",
    )
    list_filter = ("status", "conversion_reason", "channel")
    search_fields = ("tracking_no", "complaint__ticket_no")
    list_select_related = ("complaint",)
    exclude = ("phone",)
    inlines = (ContactInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
