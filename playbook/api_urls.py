"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("templates/", api.TemplateListView.as_view(), name="api-templates"),
    path("templates/<str:template_id>/", api.TemplateDetailView.as_view(), name="api-template"),
    path(
        "templates/<str:template_id>/deactivate/",
        api.TemplateDeactivateView.as_view(),
        name="api-template-deactivate",
    ),
    path(
        "complaints/<str:ticket_no>/templates/",
        api.TemplatesView.as_view(),
        name="api-complaint-templates",
    ),
    path(
        "complaints/<str:ticket_no>/templates/<str:template_id>/use/",
        api.TemplateUseView.as_view(),
        name="api-complaint-template-use",
    ),
    path(
        "complaints/<str:ticket_no>/macros/", api.MacrosView.as_view(), name="api-complaint-macros"
    ),
    path(
        "complaints/<str:ticket_no>/macros/<str:macro_id>/apply/",
        api.MacroApplyView.as_view(),
        name="api-complaint-macro-apply",
    ),
]
