"""A served process is ready before its first request (``lantern.portal.warm``): every module a
route may import is imported, every template compiled, the database pool open, and the objects
of start-up are out of the garbage collector's way."""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from lantern.portal import warm
from lantern.portal.db import make_engine, migrate
from lantern.portal.models import Household
from lantern.portal.serving import APP

from .conftest import PASSWORD, UNLIMITED, make_portal

ROOT = Path(__file__).resolve().parents[2]


def test_serve_runs_the_warmed_app():
    assert APP == "lantern.portal.warm:create_served_app"


def test_warm_imports_compiles_fills_and_freezes(portal):
    engine = portal.app.state.engine
    try:
        done = warm.warm(portal.app)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert all(name in sys.modules for name in warm.portal_modules())
    assert "lantern.portal.aggregates" in sys.modules and "pandas" in sys.modules
    assert done.connections == portal.settings.db_pool_size == engine.pool.checkedin()
    env = portal.app.state.templates.env
    assert done.templates == len(env.list_templates()) >= 10

    def no_source(*_args: object) -> None:
        raise AssertionError("template read again after warm-up")

    saved = env.loader.get_source
    env.loader.get_source = no_source  # every template now comes from the compiled cache
    try:
        for name in env.list_templates():
            env.get_template(name)
    finally:
        env.loader.get_source = saved


def test_lazy_imports_are_found_in_function_bodies():
    found = warm.imported_inside_functions("lantern.portal.deps")
    assert {"lantern.portal.aggregates", "lantern.portal.households"} <= found
    assert "fastapi" not in found  # a module-level import is not "lazy"


def test_filling_the_pool_stops_quietly_when_the_database_refuses(tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", pool_size=5)
    migrate(engine)
    engine.dispose()
    opened = []

    @event.listens_for(engine, "connect")
    def _refuse_after_three(*_args: object) -> None:
        if len(opened) == 3:
            raise OperationalError("connect", {}, Exception("too many clients already"))
        opened.append(1)

    with caplog.at_level(logging.WARNING, logger="lantern.portal"):
        assert warm.fill_pool(engine) == 3
    assert "opened 3 of 5 database connections" in caplog.text
    assert engine.pool.checkedin() == 3


PROBE = """
import json, sys
from lantern.portal.warm import create_served_app
from fastapi.testclient import TestClient

world = json.loads(sys.argv[1])
app = create_served_app()
clients = {who: TestClient(app, follow_redirects=False) for who in ("hub", "officer", "admin")}
clients["hub"].get("/api/health")  # the test client's and framework's own first use
before = set(sys.modules)
for who, client in clients.items():
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": who, "password": world["password"],
                                "csrf_token": token})
params = {"agreement": world["agreement"], "purpose": "hub-outreach", "show": "1",
          "table": "households", "area_type": "lsoa", "indicator_id": "iod2025.imd_score"}
for who, client in clients.items():
    for path in world["paths"]:
        client.get(path, params=params)
hub = clients["hub"]
csrf = hub.get("/api/me").json()["csrf_token"]
hub.post(f"/api/households/{world['reference']}/outcome", headers={"X-CSRF-Token": csrf},
         json={"agreement": world["agreement"], "purpose": "hub-outreach",
               "outcome": "no_answer"})
public = TestClient(app, follow_redirects=False)
token = public.get("/object").text.split('name="csrf_token" value="')[1].split('"')[0]
public.post("/object", data={"nhs_number": "9434765919", "csrf_token": token})
packages = {m.split(".")[0] for m in before}
# a cold first request imports a new package or a module of Lantern's own; a library's own
# submodules it loads on demand (e.g. pandas.core.reshape) are small and left to it
print(json.dumps(sorted(m for m in set(sys.modules) - before
                        if m.split(".")[0] not in packages or m.startswith("lantern"))))
"""


def test_requests_after_warm_up_import_nothing(tmp_path, request):
    """In a fresh process, as ``serve`` runs it: signing in and every GET route as a hub worker,
    an officer and an administrator, recording an outcome and objecting import no package and
    no module of Lantern's that the warm-up had not."""
    from .test_route_table import route_table

    portal = make_portal("sqlite", "warm_probe", tmp_path, request, **UNLIMITED)
    w = portal.world
    with portal.session() as db:
        reference = db.scalars(
            select(Household.reference).where(
                Household.agreement_id == w.agreement, Household.lsoa_code.in_(w.in_lsoas)
            )
        ).first()
    assert reference is not None
    values = {
        "code": w.in_lsoas[0],
        "indicator_id": "iod2025.imd_score",
        "reference": reference,
        "username": "hub",
    }
    paths = []
    for method, template in route_table(portal.app):
        if method == "GET" and not template.startswith(("/static", "/auth/oidc")):
            path = template
            for name, value in values.items():
                path = path.replace("{" + name + "}", value)
            paths.append(path)
    world = {
        "agreement": w.agreement,
        "password": PASSWORD,
        "paths": paths,
        "reference": values["reference"],
    }
    env = {
        **os.environ,
        "LANTERN_PORTAL_DB": portal.settings.database_url,
        "LANTERN_PORTAL_DATA_KEY": portal.settings.data_key or "",
        "LANTERN_PORTAL_LOGIN_RATE_PER_MINUTE": "100000",
        "LANTERN_PORTAL_WRITE_RATE_PER_MINUTE": "100000",
        "LANTERN_PORTAL_DB_POOL_SIZE": "2",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE), json.dumps(world)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == [], imported


@pytest.mark.parametrize("name", ["LANTERN_PORTAL_DB_POOL_SIZE", "LANTERN_PORTAL_THREADS"])
def test_pool_and_thread_settings_are_checked(monkeypatch, name):
    from lantern.errors import ConfigError
    from lantern.portal.settings import PortalSettings

    monkeypatch.setenv(name, "0")
    with pytest.raises(ConfigError, match=name):
        PortalSettings(database_url="sqlite://")
