"""Pages (htmx fragments) of the claim panel, included under /compensation/ by config/urls.py."""

from django.urls import path

from . import web

app_name = "compensation"

urlpatterns = [
    path("complaints/<str:ticket_no>/claims/panel/", web.panel, name="panel"),
    path("complaints/<str:ticket_no>/claims/quote/", web.quote, name="quote"),
    path("complaints/<str:ticket_no>/claims/propose/", web.propose, name="propose"),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/<str:action>/",
        web.act,
        name="act",
    ),
]
