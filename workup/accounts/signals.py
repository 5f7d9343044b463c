"""A new password, or an account made inactive, ends the user's API tokens.

A token outliving a password change would let whoever had the old credentials keep the API
access they set up; a reactivated account starts without its old tokens.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.utils import timezone

from .models import ApiToken

WATCHED = {"password", "is_active"}


def revoke_tokens_on_password_or_deactivation(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not WATCHED & set(update_fields)):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        ApiToken.objects.filter(user_id=instance.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def connect():
    from .models import Colleague

    for model in (get_user_model(), Colleague):
        pre_save.connect(
            revoke_tokens_on_password_or_deactivation,
            sender=model,
            dispatch_uid=f"accounts.revoke_tokens.{model._meta.label}",
        )
