"""Sign-in throttling that a shared address cannot turn into an outage (django-axes).

Behind a load balancer every user can arrive from one address. Failures are therefore counted
on the username and on the pair (username, address) at the ordinary limit, and on the address
alone only at a much higher one (``AXES_ADDRESS_FAILURE_LIMIT``): five mistyped made-up names
lock nobody out, a password-guessing run from one machine still stops.

The client's address is ``REMOTE_ADDR`` unless the deployment trusts a given number of proxies
(``TRUSTED_PROXY_COUNT``): then it is the address the outermost trusted proxy saw, read from the
right of ``X-Forwarded-For`` (each proxy appends the address it received the request from, so
entries further left were written by the client and prove nothing).
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address, trusting ``X-Forwarded-For`` only as far as configured."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if not chain:
        return remote
    # With N trusted proxies, the N-th entry from the right was written by the outermost one.
    # A shorter chain did not pass through them all: its leftmost entry is the best we have.
    picked = chain[-trusted] if len(chain) >= trusted else chain[0]
    return _valid(picked) or remote


def limit_for(parameter) -> int:
    """The failure count at which one lockout parameter (or combination) locks."""
    if parameter == "ip_address" or parameter == ["ip_address"]:
        return settings.AXES_ADDRESS_FAILURE_LIMIT
    if parameter == "username" or parameter == ["username"]:
        return settings.AXES_USERNAME_FAILURE_LIMIT
    return settings.AXES_FAILURE_LIMIT


class ThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    Axes compares one number with one limit; this returns that limit (a lock) when any
    parameter reached its own limit, and otherwise the highest count below the ordinary limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, attempts_list, strict=True):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if count >= limit_for(parameter):
                return max(limit, count)
            worst = max(worst, min(count, limit - 1))
        return worst
