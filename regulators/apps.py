from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_role_permissions(**kwargs) -> None:
    """Add this app's permissions to the role groups, as the table in complaints.roles lists.

    They exist only after this app's own post_migrate (complaints' runs first, before they are
    created on a fresh database), so they are added here; added, not set, so the permissions
    other apps grant the same groups stay.
    """
    from django.contrib.auth.models import Group, Permission

    from complaints.roles import GROUP_NAMES, ROLE_PERMISSIONS

    prefix = "regulators."
    for role, names in ROLE_PERMISSIONS.items():
        codenames = [n.removeprefix(prefix) for n in names if n.startswith(prefix)]
        if not codenames:
            continue
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="regulators", codename__in=codenames)
        )


class RegulatorsConfig(AppConfig):
    name = "regulators"
    verbose_name = _("监管申诉")

    def ready(self) -> None:
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="regulators-roles")
        from complaints import hooks

        from .hints import appeal_outlook
        from .reminders import on_appeal_deadline_due
        from .signals import appeal_deadline_due

        hooks.appeal_outlook.register(appeal_outlook)
        from .demo import seed_demo_appeals
        from .volumes import seed_demo_volumes

        hooks.demo_seeders.append(seed_demo_volumes)
        hooks.demo_seeders.append(seed_demo_appeals)
        appeal_deadline_due.connect(on_appeal_deadline_due, dispatch_uid="regulators-reminders")
