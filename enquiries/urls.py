"""Pages of this app, included under /enquiries/ by config/urls.py."""

from django.urls import path

from . import views

app_name = "enquiries"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/convert/", views.convert, name="convert"),
]
