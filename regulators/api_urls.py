"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("parcel-volumes/", api.ParcelVolumeView.as_view(), name="parcel-volumes"),
    path("appeals/eligibility/", api.EligibilityView.as_view(), name="appeal-eligibility"),
    path("appeals/statistics/", api.StatisticsView.as_view(), name="appeal-statistics"),
    path("appeals/", api.AppealListView.as_view(), name="appeal-list"),
    path("appeals/<int:pk>/", api.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/investigate/", api.InvestigateView.as_view(), name="appeal-investigate"),
    path("appeals/<int:pk>/report/", api.ReportView.as_view(), name="appeal-report"),
    path(
        "appeals/<int:pk>/report/draft/", api.ReportDraftView.as_view(), name="appeal-report-draft"
    ),
    path("appeals/<int:pk>/report/send/", api.ReportSendView.as_view(), name="appeal-report-send"),
    path("appeals/<int:pk>/report.docx", api.ReportDocxView.as_view(), name="appeal-report-docx"),
    path("appeals/<int:pk>/mediation/", api.MediationView.as_view(), name="appeal-mediation"),
    path(
        "appeals/<int:pk>/mediation/answer/",
        api.MediationAnswerView.as_view(),
        name="appeal-mediation-answer",
    ),
    path("appeals/<int:pk>/close/", api.CloseView.as_view(), name="appeal-close"),
]
