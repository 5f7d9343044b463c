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
    sample = json.loads(sys.argv[1])
    User = get_user_model()
    counts = {}
    for name, who, template in PAGES:
        client = Client()
        client.force_login(User.objects.get(username=who))
        method, _, path = template.format(
            workup=sample["workup"], signed=sample["signed"], clinician=sample["clinician"]
        ).rpartition(" ")
        client.get("/healthz")  # settle the session
        if method == "POST":
            kwargs = {"data": ASSESS_BODY, "content_type": "application/json"}
            send = client.post
        else:
            kwargs, send = {}, client.get
        send(
            path, **kwargs
        )  # the first request may touch the session (and render a PDF): count the second
        with CaptureQueriesContext(connection) as captured:
            send(path, **kwargs)
        counts[name] = len(captured)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
