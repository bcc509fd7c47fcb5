"""Pages (htmx fragments) of the claim panel, included under /compensation/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "compensation"

urlpatterns = [
    path("complaints/<str:ticket_no>/claims/panel/", views.panel, name="panel"),
    path("complaints/<str:ticket_no>/claims/quote/", views.quote, name="quote"),
    path("complaints/<str:ticket_no>/claims/propose/", views.propose, name="propose"),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/<str:action>/",
        views.act,
        name="act",
    ),
]
