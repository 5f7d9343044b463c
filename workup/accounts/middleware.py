"""Sign a user out after a stretch without requests (DJANGO_SESSION_IDLE_MINUTES)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

# Refresh the session's last-seen time at most once a minute, to spare a write per request.
TOUCH_EVERY = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz" and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            idle = settings.SESSION_IDLE_MINUTES * 60
            if last is not None and now - last > idle:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes "
                    "without activity. Sign in again to continue.",
                )
            elif last is None or now - last >= TOUCH_EVERY:
                request.session["last_seen"] = now
        return self.get_response(request)
