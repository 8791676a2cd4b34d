"""Portal fixtures: a PostgreSQL cluster, demo worlds on SQLite and PostgreSQL, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lantern.portal import synthetic
from lantern.portal.app import create_app
from lantern.portal.crypto import new_key
from lantern.portal.db import make_engine, migrate, session_factory
from lantern.portal.settings import PortalSettings

from . import pg

PASSWORD = "correct horse battery staple"
TODAY = date.today()
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with the library's cheapest profile: the same code path at a fraction of the cost.

    ``test_passwords_use_argon2id_with_default_cost`` checks the production parameters.
    """
    import argon2.profiles
    from argon2 import PasswordHasher

    from lantern.portal import passwords

    saved = passwords._HASHER, passwords._DUMMY
    passwords._HASHER = PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    passwords._DUMMY = passwords._HASHER.hash("lantern-dummy-password")
    yield
    passwords._HASHER, passwords._DUMMY = saved


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster]:
    if pg.server_bin() is None:
        pytest.skip(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt install postgresql)"
        )
    cluster = pg.start_cluster()
    yield cluster
    cluster.stop()


def database_url(backend: str, name: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    return request.getfixturevalue("pg_cluster").create_database(name)


@dataclass
class Portal:
    """A migrated, populated portal and a way to make clients for it."""

    backend: str
    settings: PortalSettings
    world: synthetic.World
    app: object
    folder: Path

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def sign_in(self, username: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        response = sign_in(client, username, password)
        assert response.status_code == 303, response.text
        return client

    def session(self):  # noqa: ANN201
        return session_factory(self.app.state.engine)()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):  # noqa: ANN201
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def make_portal(
    backend: str, name: str, tmp: Path, request: pytest.FixtureRequest, **settings: object
) -> Portal:
    url = database_url(backend, name, tmp, request)
    engine = make_engine(url)
    migrate(engine)
    key = new_key()
    s = PortalSettings(database_url=url, data_key=key, **settings)
    with session_factory(engine)() as session:
        world = synthetic.build(
            session, tmp / name, key=s.key_bytes(), password=PASSWORD, today=TODAY
        )
    engine.dispose()
    return Portal(backend, s, world, create_app(s), tmp / name)


#: every test client shares one address, so rate limits are tested on their own
UNLIMITED = {
    "login_rate_per_minute": 100_000,
    "write_rate_per_minute": 100_000,
    "objection_rate_per_hour": 100_000,
}


@pytest.fixture(scope="session", params=BACKENDS)
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Portal:
    """One shared world per backend; tests that change accounts make their own users."""
    folder = tmp_path_factory.mktemp(f"portal-{request.param}")
    # every test client shares one address, so the per-address limit is tested on its own
    return make_portal(request.param, "portal_shared", folder, request, **UNLIMITED)


@pytest.fixture(scope="session")
def clients(portal: Portal) -> dict[str, TestClient]:
    """A signed-in client per role, plus an anonymous one (``public``)."""
    out = {name: portal.sign_in(name) for name in ("admin", "analyst", "officer", "hub", "hub2")}
    out["public"] = portal.client()
    return out
