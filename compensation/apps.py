from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = _("赔偿")

    def ready(self) -> None:
        from .seeding import ensure_preset_policies, grant_claim_permissions

        # The role groups are first built after the complaints app migrates, before this app's
        # permissions exist; add ours once they do (on top: other apps add theirs too).
        post_migrate.connect(
            grant_claim_permissions, sender=self, dispatch_uid="compensation-roles"
        )
        post_migrate.connect(
            ensure_preset_policies, sender=self, dispatch_uid="compensation-preset-policies"
        )
