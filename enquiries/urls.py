"""Pages of this app, included under /enquiries/ by config/urls.py."""

from django.urls import path

from . import web

app_name = "enquiries"
urlpatterns = [
    path("", web.desk, name="desk"),
    path("<int:pk>/resolve/", web.resolve, name="resolve"),
    path("<int:pk>/convert/", web.convert, name="convert"),
]
