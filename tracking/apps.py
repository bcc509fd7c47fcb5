from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    """The waybill's journey: scans from the TMS, facts that check a complaint, 智能分单."""

    name = "tracking"
    verbose_name = _("运单轨迹")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from complaints import hooks
        from complaints.signals import complaint_changed

        from . import demo_tms, journey, seeding

        # Pull the journey when a complaint is accepted or dispatched; never in its request.
        complaint_changed.connect(journey.on_complaint_changed, dispatch_uid="tracking-pulls")
        hooks.demo_seeders.append(demo_tms.seed_demo_waybills)
        hooks.dispatch_suggestions.register(journey.open_suggestions)
        post_migrate.connect(seeding.grant_permissions, sender=self, dispatch_uid="tracking-roles")
