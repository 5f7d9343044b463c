from django.apps import AppConfig


class GuardrailConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workup.guardrail"
    verbose_name = "Add-on guardrail: CDS Hooks, overrides, quality"

    def ready(self):
        from . import summary

        summary.connect()
