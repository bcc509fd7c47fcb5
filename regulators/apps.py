from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RegulatorsConfig(AppConfig):
    name = "regulators"
    verbose_name = _("监管申诉")

    def ready(self) -> None:
        from complaints.roles import ensure_groups

        # The role table in complaints.roles lists this app's permissions too; they exist only
        # after this app's own post_migrate, so sync the groups again then.
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="regulators-roles")
