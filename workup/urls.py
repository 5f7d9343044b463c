"""URLs. Every page needs a login (LoginRequiredMiddleware) unless marked otherwise."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from workup.accounts.views import SignOutView
from workup.clinic import api
from workup.clinic.views import health
from workup.interop import views as interop
from workup.languages import views as languages

# Pages that say why and lead back; JSON under /api/.
handler403 = "workup.clinic.views.errors.permission_denied"
handler404 = "workup.clinic.views.errors.page_not_found"

admin.site.site_header = "RIF Work-up administration"
admin.site.site_title = "RIF Work-up admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("accounts/", include("workup.accounts.urls")),
    # The interface's language (Django's set_language, the choice kept on the user's profile).
    path("i18n/setlang/", languages.set_language, name="set_language"),
    path("api/assess", api.assess, name="api_assess"),
    path("api/workups", api.workups, name="api_workups"),
    path("api/workups/<int:pk>", api.workup_detail, name="api_workup_detail"),
    path("api/workups/<int:pk>/fhir", interop.workup_fhir, name="api_workup_fhir"),
    path("api/results", interop.results_fhir, name="api_results"),
    path("api/results/hl7", interop.results_hl7, name="api_results_hl7"),
    path("admin/", admin.site.urls),
    path("", include("workup.clinic.urls")),
    path("", include("workup.coordination.urls")),
    path("", include("workup.documents.urls")),
    path("", include("workup.audit.urls")),
    path("", include("workup.evidence.urls")),
    path("", include("workup.interop.urls")),
    path("", include("workup.guardrail.urls")),
]
