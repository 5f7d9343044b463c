from django.urls import path

from . import views_cds, views_quality, views_sheets

app_name = "guardrail"

urlpatterns = [
    path("cds-services", views_cds.discovery, name="cds_discovery"),
    path("cds-services/<slug:service_id>", views_cds.call_service, name="cds_service"),
    path("cds-services/<slug:service_id>/feedback", views_cds.feedback, name="cds_feedback"),
    path("quality/", views_quality.dashboard, name="quality"),
    path("quality/overrides/", views_quality.overrides, name="overrides"),
    path("quality/<slug:key>.csv", views_quality.figure_csv, name="quality_csv"),
    path("addon-requests/<int:pk>/kept-sheet.pdf", views_sheets.kept_sheet, name="kept_sheet"),
]
