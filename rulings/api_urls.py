"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("rulings/", api.RulingListView.as_view(), name="rulings-list"),
    path("rulings/<int:ruling_id>/", api.RulingDetailView.as_view(), name="rulings-detail"),
    path(
        "rulings/<int:ruling_id>/disputes/",
        api.DisputeCreateView.as_view(),
        name="rulings-dispute-create",
    ),
    path(
        "complaints/<str:ticket_no>/rulings/",
        api.ComplaintRulingsView.as_view(),
        name="complaint-rulings",
    ),
    path("disputes/", api.DisputeListView.as_view(), name="disputes-list"),
    path("disputes/<int:dispute_id>/", api.DisputeDetailView.as_view(), name="disputes-detail"),
    path(
        "disputes/<int:dispute_id>/decision/",
        api.DisputeDecisionView.as_view(),
        name="disputes-decide",
    ),
    path("ledger/", api.LedgerView.as_view(), name="ledger-list"),
]
