"""Pages of this app, included under /playbook/ by config/urls.py."""

from django.urls import path

from . import web

app_name = "playbook"
urlpatterns = [
    path("templates/", web.templates_page, name="templates"),
    path("templates/<int:template_id>/", web.templates_page, name="template_edit"),
    path("templates/<int:template_id>/off/", web.template_switch_off, name="template_off"),
    path("tickets/<str:ticket_no>/macros/", web.macro_bar, name="macro_bar"),
    path("tickets/<str:ticket_no>/macros/<int:macro_id>/run/", web.macro_run, name="macro_run"),
]
