"""Pages of this app, included under /regulators/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "regulators"
urlpatterns = [
    path("appeals/", views.appeals_page, name="appeals"),
    path("statistics/", views.statistics_download, name="statistics"),
]
