from django.urls import path, re_path

from complaints.models import TICKET_NO_PATTERN

from . import views

app_name = "tracking"

TICKET = rf"(?P<ticket_no>{TICKET_NO_PATTERN})"

urlpatterns = [
    path("lookup/", views.intake_journey, name="lookup"),
    re_path(rf"^tickets/{TICKET}/$", views.ticket_journey, name="ticket"),
    re_path(rf"^tickets/{TICKET}/refresh/$", views.ticket_refresh, name="refresh"),
    path("suggestions/<int:decision_id>/<str:choice>/", views.suggestion, name="suggestion"),
]
