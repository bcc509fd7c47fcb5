from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """What every app stands on: the calendar, the API error shape, caches, database helpers."""

    name = "kernel"
    verbose_name = _("基础设施")
