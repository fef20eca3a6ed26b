"""Locust users for `make bench-load`: analysts signed in through the login form, reading a study's pages.

Run by benchmarks.load, which sets PERCHE_BENCH_STUDY (the study id), PERCHE_BENCH_INTERVIEWS (its
interview ids, comma-separated), PERCHE_BENCH_FILTERS (report filters, `key=value` separated by `&&`),
PERCHE_BENCH_EMAIL (with {n}, numbered from 1: one account per user, as sign-in is throttled per account)
and PERCHE_BENCH_PASSWORD.
"""

from __future__ import annotations

import os
import random
import re
from itertools import count
from urllib.parse import quote

from locust import HttpUser, between, task

STUDY = int(os.environ.get("PERCHE_BENCH_STUDY", "1"))
INTERVIEWS = [int(i) for i in os.environ.get("PERCHE_BENCH_INTERVIEWS", "1").split(",") if i]
FILTERS = [f for f in os.environ.get("PERCHE_BENCH_FILTERS", "segment=Enterprise").split("&&") if f]
EMAIL = os.environ.get("PERCHE_BENCH_EMAIL", "bench-analyst-{n}@example.com")
PASSWORD = os.environ.get("PERCHE_BENCH_PASSWORD", "perche-analyst")
NUMBERS = count(1)
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


class Analyst(HttpUser):
    """One analyst's browser: its own session cookie, a page every 0.5 to 1.5 s."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        page = self.client.get("/login", name="sign-in form")
        token = CSRF_FIELD.search(page.text)
        with self.client.post("/login", name="sign in", allow_redirects=False, catch_response=True,
                              data={"email": EMAIL.format(n=next(NUMBERS)), "password": PASSWORD, "next": "/studies",
                                    "csrftoken": token.group(1) if token else ""}) as response:
            if response.status_code != 303:
                response.failure(f"sign-in answered {response.status_code}")

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")

    @task
    def study(self) -> None:
        self._get(f"/studies/{STUDY}", "study")

    @task
    def interview(self) -> None:
        self._get(f"/interviews/{random.choice(INTERVIEWS)}", "interview")  # noqa: S311  # nosec B311

    @task
    def review_queue(self) -> None:
        self._get(f"/studies/{STUDY}/review", "review queue")

    @task
    def answers_by_question(self) -> None:
        self._get(f"/studies/{STUDY}/questions", "answers by question")

    @task
    def report(self) -> None:
        self._get(f"/studies/{STUDY}/report", "report")

    @task
    def report_filtered(self) -> None:
        key, _, value = random.choice(FILTERS).partition("=")  # noqa: S311  # nosec B311
        self._get(f"/studies/{STUDY}/report?{key}={quote(value)}", "report with a filter")
