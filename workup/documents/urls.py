"""Printable summary, its PDF, and the patient's plain-language sheet (issue 5)."""

from django.urls import path  # noqa: F401

app_name = "documents"

urlpatterns = []
