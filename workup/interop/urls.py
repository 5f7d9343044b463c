from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("workups/<int:pk>/results/<int:result_pk>/accept/", views.accept, name="accept_result"),
    path("workups/<int:pk>/results/<int:result_pk>/reject/", views.reject, name="reject_result"),
]
