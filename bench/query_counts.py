"""Queries per page for bench/run.py: Django's test client in-process, against the bench DB."""

import json
import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workup.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from run import ASSESS_BODY, PAGES  # noqa: E402


def main():
    workup = int(sys.argv[1])
    User = get_user_model()
    users = {
        "clinician": User.objects.get(username="clinician"),
        "coordinator": User.objects.get(username="coordinator"),
        "benchadmin": User.objects.get(username="benchadmin"),
    }
    counts = {}
    for name, method, template, _ in PAGES:
        who = {"coordinator queue": "coordinator", "admin changelist": "benchadmin"}.get(
            name, "clinician"
        )
        client = Client()
        client.force_login(users[who])
        path = template.format(workup=workup)
        client.get("/healthz")  # settle the session
        send = client.post if method == "POST" else client.get
        kwargs = (
            {"data": ASSESS_BODY, "content_type": "application/json"} if method == "POST" else {}
        )
        send(path, **kwargs)  # the first request may touch the session: count the second
        with CaptureQueriesContext(connection) as captured:
            send(path, **kwargs)
        counts[name] = len(captured)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
