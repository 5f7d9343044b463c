from django.urls import path

from . import views

app_name = "clinic"

urlpatterns = [
    path("", views.home, name="home"),
    path("workups/<int:pk>/", views.workup_detail, name="workup_detail"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
]
