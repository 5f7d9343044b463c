"""WSGI entry point for gunicorn: ``gunicorn workup.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workup.settings")

application = get_wsgi_application()
