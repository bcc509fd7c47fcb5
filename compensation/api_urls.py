"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("compensation/quote/", api.QuoteView.as_view(), name="compensation-quote"),
    path(
        "complaints/<str:ticket_no>/claims/",
        api.ClaimListView.as_view(),
        name="compensation-claims",
    ),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/",
        api.ClaimDetailView.as_view(),
        name="compensation-claim",
    ),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/approve/",
        api.ApproveView.as_view(),
        name="compensation-claim-approve",
    ),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/reject/",
        api.RejectView.as_view(),
        name="compensation-claim-reject",
    ),
    path(
        "complaints/<str:ticket_no>/claims/<int:claim_id>/pay/",
        api.PayView.as_view(),
        name="compensation-claim-pay",
    ),
]
