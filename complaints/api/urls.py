"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path, register_converter

from ..models import TICKET_NO_PATTERN
from . import lists, views


class TicketNoConverter:
    regex = TICKET_NO_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TicketNoConverter, "ticket")

urlpatterns = [
    path("complaints/", views.ComplaintsView.as_view(), name="api-complaints"),
    path("complaints/search/", views.ComplaintSearchView.as_view(), name="api-complaints-search"),
    # Issue 20 §3: bulk actions (before the ticket route, which "bulk" would match) and views.
    path("complaints/bulk/", lists.BulkView.as_view(), name="api-complaints-bulk"),
    path("views/", lists.SavedViewsView.as_view(), name="api-views"),
    path("views/<int:view_id>/", lists.SavedViewDetailView.as_view(), name="api-view"),
    path(
        "complaints/<ticket:ticket_no>/",
        views.ComplaintDetailView.as_view(),
        name="api-complaint",
    ),
    path(
        "complaints/<ticket:ticket_no>/evidence/",
        views.EvidenceView.as_view(),
        name="api-complaint-evidence",
    ),
    path(
        "complaints/<ticket:ticket_no>/chase/",
        views.ChaseView.as_view(),
        name="api-complaint-chase",
    ),
    path(
        "complaints/<ticket:ticket_no>/rating/",
        views.RatingView.as_view(),
        name="api-complaint-rating",
    ),
    path(
        "complaints/<ticket:ticket_no>/reopen/",
        views.ReopenView.as_view(),
        name="api-complaint-reopen",
    ),
    path("staff/me/duty/", views.DutyView.as_view(), name="api-staff-duty"),
    *[
        path(
            f"complaints/<ticket:ticket_no>/actions/{name}/",
            view.as_view(),
            name=f"api-complaint-action-{name}",
        )
        for name, view in views.ACTION_VIEWS.items()
    ],
]
