"""Pages of this app, included under /playbook/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "playbook"
urlpatterns = [
    path("templates/", views.templates_page, name="templates"),
    path("templates/<int:template_id>/", views.templates_page, name="template_edit"),
    path("templates/<int:template_id>/off/", views.template_switch_off, name="template_off"),
    path("tickets/<str:ticket_no>/macros/", views.macro_bar, name="macro_bar"),
    path("tickets/<str:ticket_no>/macros/<int:macro_id>/run/", views.macro_run, name="macro_run"),
]
