from django.apps import AppConfig


class LanguagesConfig(AppConfig):
    name = "workup.languages"
    verbose_name = "Languages"

    def ready(self):
        from . import signals

        signals.connect()
