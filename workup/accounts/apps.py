from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "workup.accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from . import signals
        from .roles import ensure_roles_after_migrate

        signals.connect()

        # accounts is the last of our apps, so every permission exists by the time this runs.
        post_migrate.connect(ensure_roles_after_migrate, sender=self)
