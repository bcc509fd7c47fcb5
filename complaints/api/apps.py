from django.apps import AppConfig


class ComplaintsApiConfig(AppConfig):
    """The public REST API; its own app so that its tables (idempotency keys) stay its own."""

    name = "complaints.api"
    label = "complaints_api"
    verbose_name = "投诉接口"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .token_cache import connect_signals

        connect_signals()
