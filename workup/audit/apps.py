from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "workup.audit"
    verbose_name = "Audit"

    def ready(self):
        from . import chain

        connection_created.connect(chain.register_sqlite_function)
        post_migrate.connect(chain.after_migrate, sender=self)
