"""API routes of the journey, included under /api/v1/ by config/api_urls.py."""

from django.urls import path, re_path

from . import api

urlpatterns = [
    path("tracking/events/", api.PushView.as_view(), name="tracking-push"),
    # Ticket numbers are letters and digits: anything else is a 404 before any query runs.
    re_path(
        r"^complaints/(?P<ticket_no>[A-Za-z0-9]{1,24})/journey/$",
        api.JourneyView.as_view(),
        name="api-complaint-journey",
    ),
]
