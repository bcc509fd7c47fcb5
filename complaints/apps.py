from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉工单")

    def ready(self) -> None:
        from . import roles

        roles.connect_signals()
        from kernel import refdata

        from .models import Phrase

        refdata.register(lambda: {"phrases": Phrase.load_active()})
