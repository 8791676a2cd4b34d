"""Locust users for ``bench/portal.py``: hub workers and district officers querying their areas,
and members of the public reading the transparency register. Settings come from the environment
that ``bench/portal.py`` sets (session cookies and area codes)."""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, between, task

CONFIG = json.loads(os.environ["LANTERN_BENCH_CONFIG"])
IND = "iod2025.imd_score"


class HubWorker(FastHttpUser):
    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Cookie": f"lantern_session={CONFIG['cookies']['hub']}"}

    @task(3)
    def lsoa(self) -> None:
        code = random.choice(CONFIG["hub_lsoas"])
        self.client.get(f"/api/areas/{code}", headers=self.headers, name="area: hub LSOA detail")
        self.client.get(
            f"/api/areas/{code}/indicators", headers=self.headers, name="area: hub LSOA indicators"
        )

    @task(2)
    def ward(self) -> None:
        ward = CONFIG["hub_ward"]
        self.client.get(
            f"/api/areas?within={ward}", headers=self.headers, name="area: hub ward listing"
        )
        self.client.get(
            f"/api/indicators/{IND}/values?within={ward}",
            headers=self.headers,
            name="area: hub ward values",
        )
        self.client.get(
            f"/api/areas/{ward}/aggregate?indicator_id={IND}",
            headers=self.headers,
            name="area: hub ward aggregate",
        )

    @task(1)
    def out_of_scope(self) -> None:
        with self.client.get(
            f"/api/areas/{CONFIG['out_lsoa']}",
            headers=self.headers,
            name="area: hub out of scope (404)",
            catch_response=True,
        ) as r:
            if r.status_code == 404:
                r.success()
            else:
                r.failure(f"expected 404, got {r.status_code}")


class DistrictOfficer(FastHttpUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Cookie": f"lantern_session={CONFIG['cookies']['officer']}"}

    @task(2)
    def district(self) -> None:
        d = CONFIG["district"]
        self.client.get(
            f"/api/areas?area_type=lsoa&within={d}&limit=100",
            headers=self.headers,
            name="area: officer district LSOAs",
        )
        self.client.get(
            f"/api/areas/{d}/aggregate?indicator_id={IND}",
            headers=self.headers,
            name="area: officer district aggregate",
        )

    @task(1)
    def search(self) -> None:
        self.client.get(
            "/api/areas?q=colchester&limit=50", headers=self.headers, name="area: officer search"
        )


class Public(FastHttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)
    headers: dict[str, str] = {}

    @task(4)
    def register(self) -> None:
        self.client.get("/api/register", headers=self.headers, name="public register (JSON)")

    @task(1)
    def health(self) -> None:
        self.client.get("/api/health", headers=self.headers, name="baseline: health")
