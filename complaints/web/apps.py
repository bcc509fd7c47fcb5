from django.apps import AppConfig


class WebConfig(AppConfig):
    """Registered only so its template tags load; it has no models."""

    name = "complaints.web"
    label = "complaints_web"
    verbose_name = "工单控制台"

    def ready(self):
        # The bulk form's cached choices (units, a unit's people) are dropped when they change.
        from . import lists

        lists.connect_cache_invalidation()
