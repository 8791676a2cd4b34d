"""Locust users for ``bench/portal.py``: the real mix of the partner portal.

Hub workers read their areas through the API, open their household list (API and page) and
export it; district officers use the dashboard and area pages and the area API; members of the
public read the transparency register (JSON and page). Hub workers also record contact
outcomes, officers read and download aggregates through the disclosure gate, and members of the
public send objections. Settings come from the environment that ``bench/portal.py`` sets
(session cookies, area codes, agreement). Request names start with the kind they are reported
under: ``api:``, ``page:``, ``households:``, ``export:``, ``aggregates:``, ``write:``,
``public:``, ``baseline:``.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import FastHttpUser, between, events, task

CONFIG = json.loads(os.environ["LANTERN_BENCH_CONFIG"])
IND = "iod2025.imd_score"

if os.environ.get("LANTERN_BENCH_REQUEST_LOG"):
    _LOG = open(os.environ["LANTERN_BENCH_REQUEST_LOG"], "a", buffering=1)  # noqa: SIM115

    @events.request.add_listener
    def _log(name: str, response_time: float, start_time: float, **_kw: object) -> None:
        """Every request (start time, name, milliseconds), for the latency time series."""
        _LOG.write(f"{start_time:.4f}\t{name}\t{response_time:.1f}\n")


class HubWorker(FastHttpUser):
    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Cookie": f"lantern_session={CONFIG['cookies']['hub']}"}
        self.list = f"agreement={CONFIG['agreement']}&purpose={CONFIG['purpose']}"
        self.csrf = CONFIG["csrf"]["hub"]

    @task(1)
    def outcome(self) -> None:
        ref = random.choice(CONFIG["hub_refs"])
        self.client.post(
            f"/api/households/{ref}/outcome",
            json={
                "agreement": CONFIG["agreement"],
                "purpose": CONFIG["purpose"],
                "outcome": random.choice(["no_answer", "contacted_support_arranged", "declined"]),
            },
            headers={**self.headers, "X-CSRF-Token": self.csrf},
            name="write: contact outcome",
        )

    @task(3)
    def lsoa(self) -> None:
        code = random.choice(CONFIG["hub_lsoas"])
        self.client.get(f"/api/areas/{code}", headers=self.headers, name="api: hub LSOA detail")
        self.client.get(
            f"/api/areas/{code}/indicators", headers=self.headers, name="api: hub LSOA indicators"
        )

    @task(2)
    def ward(self) -> None:
        ward = CONFIG["hub_ward"]
        self.client.get(
            f"/api/areas?within={ward}", headers=self.headers, name="api: hub ward listing"
        )
        self.client.get(
            f"/api/indicators/{IND}/values?within={ward}",
            headers=self.headers,
            name="api: hub ward values",
        )
        self.client.get(
            f"/api/areas/{ward}/aggregate?indicator_id={IND}",
            headers=self.headers,
            name="api: hub ward aggregate",
        )

    @task(2)
    def households(self) -> None:
        self.client.get(
            f"/api/households?{self.list}", headers=self.headers, name="households: list (API)"
        )
        self.client.get(
            f"/households?{self.list}&show=1", headers=self.headers, name="households: list (page)"
        )

    @task(1)
    def export(self) -> None:
        self.client.get(
            f"/api/households/export?{self.list}",
            headers=self.headers,
            name="export: households CSV",
        )

    @task(1)
    def out_of_scope(self) -> None:
        with self.client.get(
            f"/api/areas/{CONFIG['out_lsoa']}",
            headers=self.headers,
            name="api: hub out of scope (404)",
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
            name="api: officer district LSOAs",
        )
        self.client.get(
            f"/api/areas/{d}/aggregate?indicator_id={IND}",
            headers=self.headers,
            name="api: officer district aggregate",
        )

    @task(2)
    def pages(self) -> None:
        self.client.get("/dashboard", headers=self.headers, name="page: dashboard")
        self.client.get(f"/areas/{CONFIG['district']}", headers=self.headers, name="page: district")
        code = random.choice(CONFIG["hub_lsoas"])
        self.client.get(f"/areas/{code}", headers=self.headers, name="page: LSOA")

    @task(1)
    def aggregates(self) -> None:
        agreement = CONFIG["agreement"]
        self.client.get(
            f"/api/aggregates?agreement={agreement}&table=outcomes&area_type=ward",
            headers=self.headers,
            name="aggregates: outcomes by ward (API)",
        )
        self.client.get(
            f"/aggregates/export?agreement={agreement}&table=households&area_type=lsoa",
            headers=self.headers,
            name="aggregates: households by LSOA (CSV)",
        )
        self.client.get(
            f"/aggregates?agreement={agreement}&table=outcomes&area_type=lsoa",
            headers=self.headers,
            name="aggregates: page",
        )

    @task(1)
    def search(self) -> None:
        self.client.get(
            "/api/areas?q=colchester&limit=50", headers=self.headers, name="api: officer search"
        )


class Public(FastHttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)
    headers: dict[str, str] = {}

    @task(3)
    def register(self) -> None:
        self.client.get("/api/register", headers=self.headers, name="public: register (JSON)")
        self.client.get("/register", headers=self.headers, name="public: register (page)")

    @task(1)
    def objection(self) -> None:
        """A resident objects (a synthetic NHS number no list holds)."""
        page = self.client.get("/object", name="public: objection form")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if not found:
            return
        first = "999" + "".join(str(random.randrange(10)) for _ in range(6))
        total = sum(int(d) * (10 - i) for i, d in enumerate(first))
        check = 11 - total % 11
        if check == 10:
            return
        nhs = first + str(0 if check == 11 else check)
        self.client.post(
            "/object",
            data={"nhs_number": nhs, "csrf_token": found.group(1)},
            name="write: objection",
        )

    @task(1)
    def health(self) -> None:
        self.client.get("/api/health", headers=self.headers, name="baseline: health")
