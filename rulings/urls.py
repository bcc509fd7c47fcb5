"""Pages of rulings, disputes and scorecards, included under /rulings/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "rulings"

urlpatterns = [
    path("", views.board, name="board"),
    path("complaints/<str:ticket_no>/panel/", views.panel, name="panel"),
    path("complaints/<str:ticket_no>/record/", views.record, name="record"),
    path("persons/", views.persons, name="persons"),
    path("<int:ruling_id>/dispute/", views.dispute_form, name="dispute_form"),
    path("disputes/<int:dispute_id>/", views.dispute_detail, name="dispute"),
    path(
        "disputes/<int:dispute_id>/evidence/<str:token>/",
        views.evidence_download,
        name="dispute_evidence",
    ),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/export.xlsx", views.scorecard_export, name="scorecard_export"),
    path("scorecard/<str:kind>/<int:key>/", views.scorecard_entries, name="scorecard_entries"),
]
