from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.changes, name="changes"),
    path("audit/changes.csv", views.changes_csv, name="changes_csv"),
    path("audit/downloads/", views.downloads, name="downloads"),
    path("audit/downloads.csv", views.downloads_csv, name="downloads_csv"),
]
