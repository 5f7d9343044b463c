"""Settings for the test suite: production settings with test-only values pinned."""

import os

# Pinned before the settings read them, whatever a developer's .env says.
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_HTTPS"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Each test process its own cache; background tasks are recorded, not run (a test that needs
# them run overrides TASKS with the immediate backend, or runs the database worker).
os.environ["CACHE_URL"] = "locmem://"
os.environ["TASKS_BACKEND"] = "dummy"
os.environ.pop("REDIS_URL", None)

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

# The hashed whitenoise storage needs collectstatic; tests serve the files as they are.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Fast password hashing in tests only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Serve static files from the source folders; there is no collectstatic in tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
