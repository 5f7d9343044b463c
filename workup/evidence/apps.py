from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "workup.evidence"
    verbose_name = "Evidence catalogue"
