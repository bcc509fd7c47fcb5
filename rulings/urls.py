"""Pages of rulings, disputes and scorecards, included under /rulings/ by config/urls.py."""

from django.urls import path

from . import web

app_name = "rulings"

urlpatterns = [
    path("", web.board, name="board"),
    path("complaints/<str:ticket_no>/panel/", web.panel, name="panel"),
    path("complaints/<str:ticket_no>/record/", web.record, name="record"),
    path("persons/", web.persons, name="persons"),
    path("<int:ruling_id>/dispute/", web.dispute_form, name="dispute_form"),
    path("disputes/<int:dispute_id>/", web.dispute_detail, name="dispute"),
    path(
        "disputes/<int:dispute_id>/evidence/<str:token>/",
        web.evidence_download,
        name="dispute_evidence",
    ),
    path("scorecard/", web.scorecard_page, name="scorecard"),
    path("scorecard/export.xlsx", web.scorecard_export, name="scorecard_export"),
    path("scorecard/<str:kind>/<int:key>/", web.scorecard_entries, name="scorecard_entries"),
]
