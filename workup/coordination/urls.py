"""The coordinator's queue, its CSV export and the clinician's own queue (issue 4)."""

from django.urls import path  # noqa: F401

app_name = "coordination"

urlpatterns = []
