from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulatorsConfig(AppConfig):
    name = "regulators"
    verbose_name = _("监管申诉")
