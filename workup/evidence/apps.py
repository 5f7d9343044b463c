from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "workup.evidence"
    verbose_name = "Evidence catalogue"

    def ready(self):
        from django.core.signals import request_started

        from . import store

        # The banner's problems are those of the catalogue served to this request only.
        request_started.connect(store.reset_serving_problems, dispatch_uid="catalogue-problems")
