from django.apps import AppConfig


class WebConfig(AppConfig):
    """Registered only so its template tags load; it has no models."""

    name = "complaints.web"
    label = "complaints_web"
    verbose_name = "工单控制台"
