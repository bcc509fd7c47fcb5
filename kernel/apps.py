from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """What every app stands on: the calendar, the API error shape, caches, database helpers."""

    name = "kernel"
    verbose_name = _("基础设施")

    def ready(self) -> None:
        from . import refdata
        from .clock import WorkCalendar
        from .models import WebhookEndpoint

        # The official calendar until an app registers the supervisors' own (escalation).
        refdata.register(lambda: {"calendar": WorkCalendar()})
        # Partners' active webhook endpoints: every partner submission asks for them, and a
        # lookup per submission cost a third of its time (docs/api.md, Benchmark).
        refdata.register(lambda: {"webhook_endpoints": WebhookEndpoint.active_by_partner()})
