"""Per-user API tokens: stored hashed, shown once, revocable."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

# A visible prefix that marks our tokens, not a secret.
TOKEN_PREFIX = "rif_"  # noqa: S105  # nosec B105


def hash_key(raw: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching).
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text=gettext_lazy("What the token is for."))
    prefix = models.CharField(
        max_length=16, help_text=gettext_lazy("The first characters, to recognise it.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.prefix}… ({self.name})"

    @classmethod
    def issue(cls, *, user, name):
        """Create a token; returns (token, raw key). The raw key is never stored."""
        token = cls(user=user, name=name)
        raw = token.set_new_key()
        token.save()
        return token, raw

    def set_new_key(self) -> str:
        """Give this (unsaved) token a fresh key; returns the raw key, to be shown once."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.prefix = raw[: len(TOKEN_PREFIX) + 6]
        self.key_hash = hash_key(raw)
        return raw

    @classmethod
    def user_for(cls, raw):
        """The active user a raw key belongs to, or None."""
        if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        token = cls.objects.active().select_related("user").filter(key_hash=hash_key(raw)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def is_active(self):
        return self.revoked_at is None


class Colleague(User):
    """A user as the clinical lead manages them on the users page: role, status, contact.

    A proxy of Django's user: the same rows, with the permission that page needs. Superuser
    and staff flags, groups other than the role, and passwords are never set through it.
    """

    class Meta:
        proxy = True
        verbose_name = "colleague"
        permissions = [
            ("manage_users", "Can manage colleagues' roles, active status and contact details")
        ]


class Profile(models.Model):
    """A user's own settings: the language of the interface, chosen at ``/i18n/setlang/`` and
    applied at each sign-in (``workup.languages``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    def __str__(self):
        return f"{self.user} ({self.language})"
