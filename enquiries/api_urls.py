"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("enquiries/", api.EnquiriesView.as_view(), name="enquiry-list"),
    path("enquiries/<int:pk>/resolve/", api.ResolveView.as_view(), name="enquiry-resolve"),
    path("enquiries/<int:pk>/convert/", api.ConvertView.as_view(), name="enquiry-convert"),
]
