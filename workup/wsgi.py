"""WSGI entry point for gunicorn: ``gunicorn workup.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workup.settings")

application = get_wsgi_application()

# WeasyPrint loaded now, before gunicorn forks its workers (preload_app): shared by them all, and
# no reader's first PDF waits for it (workup.documents.pdf).
from workup.documents.pdf import preload  # noqa: E402

preload()
