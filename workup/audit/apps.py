from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "workup.audit"
    verbose_name = "Audit"
