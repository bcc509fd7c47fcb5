"""Pages of this app, included under /regulators/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "regulators"
urlpatterns = [
    path("appeals/", views.appeals_page, name="appeals"),
    path("appeals/new/", views.appeal_register_page, name="appeal_new"),
    path("statistics/", views.statistics_download, name="statistics"),
    path("indicators/", views.indicators_page, name="indicators"),
    path("indicators.xlsx", views.indicators_xlsx, name="indicators_xlsx"),
    path("volumes/import/", views.volume_import, name="volume_import"),
]
