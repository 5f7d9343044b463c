from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs):
    """The database cache (the embedded default) needs its table before anything caches: made
    after every migrate, so `migrate` alone prepares a fresh database (a no-op for Redis)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class EvidenceConfig(AppConfig):
    name = "workup.evidence"
    verbose_name = "Evidence catalogue"

    def ready(self):
        from django.core.signals import request_started

        from . import store

        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="create-cache-table")
        # The banner's problems are those of the catalogue served to this request only.
        request_started.connect(store.reset_serving_problems, dispatch_uid="catalogue-problems")
