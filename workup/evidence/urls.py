"""The clinical lead's review screen."""

from django.urls import path

from . import views, views_translations

app_name = "evidence"

urlpatterns = [
    path("review/", views.review_queue, name="review_queue"),
    # Translations of the patient texts, by language (before the entry route, which would
    # otherwise take "translations" for a kind).
    path(
        "review/translations/",
        views_translations.review_translations,
        name="review_translations",
    ),
    path(
        "review/translations/<slug:language>/",
        views_translations.review_translations,
        name="review_translations_language",
    ),
    path(
        "review/translations/<slug:language>/<slug:kind>/<slug:code>/confirm/",
        views_translations.confirm_translation,
        name="confirm_translation",
    ),
    path("review/<slug:kind>/<slug:code>/", views.review_entry, name="review_entry"),
]
