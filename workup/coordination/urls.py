"""The coordinator's queue, its CSV export and the clinician's own queue (issue 4)."""

from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("coordinator/", views.QueueView.as_view(), name="queue"),
    path("coordinator/export.csv", views.export_csv, name="export"),
    path("my-queue/", views.my_queue, name="my_queue"),
]
