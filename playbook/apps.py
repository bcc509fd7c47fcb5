from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Everyone who writes to customers reads templates; supervisors keep the company-wide ones, a
# branch the unit's (playbook.services.may_manage: its head, or its staff when it has none).
# This app's permissions exist only after its own migrate, so it adds them to the groups.
ROLE_PERMISSIONS = {
    "agent": ("view_replytemplate", "view_macro"),
    "branch": ("view_replytemplate", "view_macro", "manage_unit_templates"),
    "supervisor": (
        "view_replytemplate",
        "add_replytemplate",
        "change_replytemplate",
        "view_macro",
        "add_macro",
        "change_macro",
        "view_templateevent",
        "manage_company_templates",
        "manage_unit_templates",
    ),
}


def grant_role_permissions(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from complaints.roles import GROUP_NAMES

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="playbook", codename__in=codenames)
        )


class PlaybookConfig(AppConfig):
    name = "playbook"
    verbose_name = _("答复口径与宏")

    def ready(self) -> None:
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="playbook-roles")
        from complaints import hooks

        from .demo import seed_demo_playbook

        hooks.demo_seeders.append(seed_demo_playbook)
