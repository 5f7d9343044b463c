from django.urls import path

from . import views
from .views import transfers as transfer_views

app_name = "clinic"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/workups/new/", views.workup_create, name="workup_create"),
    path("workups/<int:pk>/", views.workup_detail, name="workup_detail"),
    path("workups/<int:pk>/history/", views.workup_history, name="workup_history"),
    path("workups/<int:pk>/steps/<slug:code>/", views.record_step, name="record_step"),
    path("workups/<int:pk>/steps/<slug:code>/preview/", views.preview_step, name="preview_step"),
    path("workups/<int:pk>/steps/<slug:code>/decision/", views.decide, name="decide"),
    path("workups/<int:pk>/steps/<slug:code>/done/", views.complete_step, name="complete_step"),
    path("workups/<int:pk>/plan/", views.record_plan, name="record_plan"),
    path("workups/<int:pk>/plan/preview/", views.preview_plan, name="preview_plan"),
    path("workups/<int:pk>/track/", views.track, name="track"),
    path("workups/<int:pk>/addons/", views.add_addon, name="add_addon"),
    path(
        "workups/<int:pk>/addons/<int:request_pk>/counselling/",
        views.counsel_addon,
        name="counsel_addon",
    ),
    path(
        "workups/<int:pk>/addons/<int:request_pk>/withdraw/",
        views.withdraw_addon,
        name="withdraw_addon",
    ),
    path("workups/<int:pk>/sign/", views.sign, name="sign"),
    path("workups/<int:pk>/transfers/", transfer_views.transfer_add, name="transfer_add"),
    path(
        "workups/<int:pk>/transfers/<int:transfer_pk>/",
        transfer_views.transfer_edit,
        name="transfer_edit",
    ),
    path(
        "workups/<int:pk>/transfers/<int:transfer_pk>/remove/",
        transfer_views.transfer_delete,
        name="transfer_delete",
    ),
    path(
        "workups/<int:pk>/transfers/import/",
        transfer_views.transfers_import,
        name="transfers_import",
    ),
    path("transfers/template.csv", transfer_views.transfers_template, name="transfers_template"),
]
