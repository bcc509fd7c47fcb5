"""Everything under /api/v1/: each app defines its own full paths below that base."""

from django.urls import include, path

urlpatterns = [
    path("", include("complaints.api.urls")),
    path("", include("compensation.api_urls")),
    path("", include("regulators.api_urls")),
    path("", include("tracking.api_urls")),
    path("", include("rulings.api_urls")),
    path("", include("enquiries.api_urls")),
    path("", include("playbook.api_urls")),
]
