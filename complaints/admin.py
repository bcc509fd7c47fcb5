"""Admin: units, staff and phrase lists are edited here; complaints are read-mostly.

A complaint changes state only through the services (with permission checks and the audit
trail), so the admin shows complaints and their records read-only and never deletes anything.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    Complaint,
    ComplaintTransition,
    Contact,
    FollowUp,
    Note,
    PauseInterval,
    PersonalDataAccess,
    Phrase,
    Reply,
    StaffProfile,
    Unit,
)

admin.site.site_header = _("快递投诉闭环工单系统 · 管理后台")
admin.site.site_title = _("投诉闭环管理")
admin.site.index_title = _("配置与查询")


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(NoDeleteAdmin):
    list_display = ("code", "name", "kind", "parent", "head", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    raw_id_fields = ("head",)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    verbose_name_plural = _("员工信息")
    fk_name = "user"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = (StaffProfileInline,)
    list_display = ("username", "last_name", "first_name", "role", "unit", "is_active")
    list_select_related = ("staff", "staff__unit")
    list_filter = ("staff__role", "is_active", "staff__unit__kind")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate users instead: their actions stay in the audit trail

    @admin.display(description=_("角色"))
    def role(self, user):
        profile = getattr(user, "staff", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("单位"))
    def unit(self, user):
        profile = getattr(user, "staff", None)
        return profile.unit if profile and profile.unit else "—"


class TransitionInline(ReadOnlyInline):
    model = ComplaintTransition
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_kind", "reason")
    readonly_fields = fields


class ContactInline(ReadOnlyInline):
    model = Contact
    fields = ("at", "method", "by", "reached", "summary")
    readonly_fields = fields


class ReplyInline(ReadOnlyInline):
    model = Reply
    fields = ("at", "unit", "by", "basic_facts", "handling", "result")
    readonly_fields = fields


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = ("at", "by", "outcome", "customer_words", "reply_truthful")
    readonly_fields = fields


class NoteInline(ReadOnlyInline):
    model = Note
    fields = ("at", "by", "text")
    readonly_fields = fields


class PauseInline(ReadOnlyInline):
    model = PauseInterval
    fields = ("started_at", "ended_at", "reason", "started_by")
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(NoDeleteAdmin):
    list_display = (
        "ticket_no",
        "status",
        "priority",
        "category",
        "unit",
        "tracking_no",
        "masked_phone",
        "accepted_at",
        "next_deadline",
        "repeat_count",
    )
    list_filter = ("status", "priority", "category", "channel", "is_external", "justified")
    list_select_related = ("unit",)
    search_fields = ("=ticket_no", "=tracking_no")
    date_hierarchy = "accepted_at"
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is slow
    inlines = (
        TransitionInline,
        ContactInline,
        ReplyInline,
        FollowUpInline,
        NoteInline,
        PauseInline,
    )
    exclude = ("access_code_hash", "phone", "complainant_name")

    def has_add_permission(self, request):
        return False  # complaints are created through intake, which numbers and audits them

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone


@admin.register(ComplaintTransition)
class ComplaintTransitionAdmin(NoDeleteAdmin):
    list_display = (
        "at",
        "complaint",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_kind",
    )
    list_filter = ("transition", "actor_kind")
    search_fields = ("=complaint__ticket_no",)
    list_select_related = ("complaint", "actor")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ComplaintTransitionAdmin):
    list_display = ("at", "user", "complaint", "purpose")
    list_filter = ()
    list_select_related = ("complaint", "user")
    search_fields = ("=complaint__ticket_no", "user__username")


@admin.register(Phrase)
class PhraseAdmin(NoDeleteAdmin):
    list_display = ("text", "kind", "is_active")
    list_filter = ("kind", "is_active")
    list_editable = ("is_active",)
    search_fields = ("text",)
