"""Printable summary, its PDF, and the patient's plain-language sheet (issue 5)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("workups/<int:pk>/summary/", views.summary, name="summary"),
    path("workups/<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("workups/<int:pk>/handout/", views.handout, name="handout"),
    path("workups/<int:pk>/handout.pdf", views.handout_pdf, name="handout_pdf"),
    path(
        "workups/<int:pk>/<str:kind>/page.css",
        views.page_css,
        name="page_css",
    ),
]
