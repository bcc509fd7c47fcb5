"""API routes of this app, included under /api/v1/ by config/api_urls.py."""

urlpatterns: list = []
