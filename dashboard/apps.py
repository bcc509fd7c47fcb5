from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Supervisor dashboard: KPIs from a daily rollup, charts, live lists, exports (issue 8)."""

    name = "dashboard"
    label = "complaints_dashboard"
    verbose_name = "质量监控看板"

    def ready(self) -> None:
        from complaints.signals import complaint_changed

        from . import rollup

        complaint_changed.connect(rollup.on_complaint_changed, dispatch_uid="dashboard_rollup")
