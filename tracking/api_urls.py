"""API routes of the journey, included under /api/v1/ by config/api_urls.py."""

from django.urls import path, re_path

from complaints.models import TICKET_NO_PATTERN

from . import api

urlpatterns = [
    path("tracking/events/", api.PushView.as_view(), name="tracking-push"),
    re_path(
        rf"^complaints/(?P<ticket_no>{TICKET_NO_PATTERN})/journey/$",
        api.JourneyView.as_view(),
        name="api-complaint-journey",
    ),
]
