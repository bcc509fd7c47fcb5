"""Supervisors configure SLA policies, the calendar and the outbox (SPEC §1), as their group.

Runs after complaints' own post_migrate (which sets the group's complaint permissions), so
these are added on top rather than overwritten.
"""

from __future__ import annotations

SUPERVISOR_PERMISSIONS = (
    "view_slapolicy",
    "add_slapolicy",
    "change_slapolicy",
    "view_escalationlevel",
    "add_escalationlevel",
    "change_escalationlevel",
    "delete_escalationlevel",
    "view_calendarexception",
    "add_calendarexception",
    "change_calendarexception",
    "delete_calendarexception",
    "view_calendaryear",
    "add_calendaryear",
    "change_calendaryear",
    "view_slaevent",
)
# The outbox's (kernel): see every message, retry failed ones, manage partners' webhooks.
SUPERVISOR_OUTBOX_PERMISSIONS = (
    "view_notification",
    "change_notification",
    "view_webhookendpoint",
    "add_webhookendpoint",
    "change_webhookendpoint",
)


def grant_supervisor_permissions(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from complaints.models import Role
    from complaints.roles import GROUP_NAMES

    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[Role.SUPERVISOR])
    perms = Permission.objects.filter(
        Q(content_type__app_label="escalation", codename__in=SUPERVISOR_PERMISSIONS)
        | Q(content_type__app_label="kernel", codename__in=SUPERVISOR_OUTBOX_PERMISSIONS)
    )
    group.permissions.add(*perms)
