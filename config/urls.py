from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from complaints import views
from complaints.web import views as web_views

# The API and the health check first: Django tries the patterns in order, and the pages'
# dozens of patterns (mounted at the root) cost every API request a walk through them.
urlpatterns = [
    path("api/v1/", include("config.api_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", web_views.home, name="home"),
    path("", include("complaints.web.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("regulators/", include("regulators.urls")),
    path("admin/", admin.site.urls),
    path("compensation/", include("compensation.urls")),
    path("tracking/", include("tracking.urls")),
    path("rulings/", include("rulings.urls")),
    path("enquiries/", include("enquiries.urls")),
    path("playbook/", include("playbook.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("dashboard/", include("dashboard.urls")),
]

# Friendly Chinese error pages (templates/403.html, 404.html, 500.html) are Django's defaults.

# A database outage outside a view is a 503 with Retry-After, not a 500 (kernel.availability).
handler500 = "kernel.availability.server_error"
