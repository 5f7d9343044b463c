"""Load profile for `make load`: clinicians and coordinators doing their everyday work.

Run by bench/load.py against gunicorn on a seeded database; any failed request is an error.
"""

import json
import os
import random

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-2026")
WORKUPS = int(os.environ.get("LOAD_WORKUPS", "1000"))
NAMES = ["Ada", "Mei", "Nora", "Rowan", "Lark", "Vale", "DEMO-0001"]


class SignedIn(HttpUser):
    abstract = True
    username = "clinician"
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken")
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )

    def workup(self):
        return random.randint(1, WORKUPS)  # noqa: S311 - load pattern, not security


class Clinician(SignedIn):
    weight = 3
    username = "clinician"

    @task(4)
    def open_a_workup(self):
        self.client.get(f"/workups/{self.workup()}/", name="/workups/[id]/")

    @task(2)
    def search_patients(self):
        self.client.get(f"/patients/?q={random.choice(NAMES)}", name="/patients/?q=")  # noqa: S311

    @task(1)
    def open_a_step(self):
        self.client.get(f"/workups/{self.workup()}/?open=hysteroscopy", name="/workups/[id]/?open")

    @task(1)
    def summary(self):
        self.client.get(f"/workups/{self.workup()}/summary/", name="/workups/[id]/summary/")

    @task(2)
    def assess(self):
        body = {"age": random.randint(25, 45), "failed_transfers": random.randint(0, 6)}  # noqa: S311
        self.client.post(
            "/api/assess",
            data=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                "Referer": self.host + "/",
            },
            name="/api/assess",
        )


class Coordinator(SignedIn):
    weight = 1
    username = "coordinator"

    @task(3)
    def queue(self):
        self.client.get("/coordinator/", name="/coordinator/")

    @task(1)
    def overdue(self):
        self.client.get("/coordinator/?overdue=1", name="/coordinator/?overdue")
