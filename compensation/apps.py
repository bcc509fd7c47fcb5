from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = _("赔偿")

    def ready(self) -> None:
        from complaints.roles import ensure_groups

        from .seeding import ensure_preset_policies

        # The role groups are first built after the complaints app migrates, before this app's
        # permissions exist; build them again once they do.
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="compensation-roles")
        post_migrate.connect(
            ensure_preset_policies, sender=self, dispatch_uid="compensation-preset-policies"
        )
