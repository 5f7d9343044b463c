"""The clinical lead's review screen."""

from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    path("review/<slug:kind>/<slug:code>/", views.review_entry, name="review_entry"),
]
