"""Root URLs. Each app brings its own urls module as it gains pages or endpoints.

MEDIA_URL is not routed, not even in DEBUG: photos are served only through the scoped
``/cases/<id>/photos/<n>/`` (cases.views.common.serve_photo)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from assessment.dashboard import dashboard, figure_cases_page
from cases.api.docs import api_docs

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include("accounts.api_urls")),
    path("api/v1/", include("assessment.api_urls")),
    path("api/v1/", include(("cases.api.urls", "api"), namespace="api")),
    path("integrity/", include("integrity.urls")),
    path("care/", include("care.urls")),
    path("api/v1/care/", include("care.api_urls")),
    path("public/", include("public.urls")),
    path("open311/v2/", include("open311.urls")),
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/cases/", figure_cases_page, name="dashboard-cases"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("grids.urls")),
    path("", include("workflows.urls")),
    path("", include("residents.urls")),
    path("", include("cases.urls")),
]

# Branded pages for people, JSON on API paths (gridgov.errors).
handler400 = "gridgov.errors.bad_request"
handler403 = "gridgov.errors.permission_denied"
handler404 = "gridgov.errors.page_not_found"
handler500 = "gridgov.errors.server_error"
