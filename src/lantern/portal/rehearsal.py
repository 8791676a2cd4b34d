"""A rehearsal before serving: every staff and public GET route answered once in this process,
inside database transactions that are rolled back, so a real first request costs what later
ones do.

The first time a process runs a statement, SQLAlchemy compiles it (0.5–2 ms each); the first
time a route answers, FastAPI, Pydantic and Jinja do first-use work of their own. Measured after
the rest of the warm-up, a process's first request of each kind took 3–8 ms more than its second,
and a server takes all of them in the first second, when 50 users arrive at once.

Nothing of the rehearsal stays: each request runs on one connection inside a transaction begun
for it, with a user and session made for it, and the transaction is rolled back afterwards
(the app's sessions join it and never commit it; a commit on that connection is refused). The
rehearsal is shown no household: the district officer it signs in as sees one district's area
statistics and is not sent to household or aggregate routes, and the hub worker's scope is an
area code that does not exist, so every household list, export and aggregate it gets is empty.
Administrators' routes are not rehearsed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session, sessionmaker

from lantern.portal import sessions
from lantern.portal.models import AgreementRecord, AreaLink, IndicatorMeta, Role, User, UserScope

log = logging.getLogger("lantern.portal")
#: an area code no portal holds (GSS codes never use the ``Z99`` entity prefix)
NO_AREA = "Z99999999"
NOT_REHEARSED = ("/admin", "/api/admin", "/static", "/auth/oidc", "/logout")


class CommitRefused(RuntimeError):
    """A commit was attempted on the rehearsal's connection."""


@dataclass(frozen=True)
class Cast:
    """Who the rehearsal asks as: a role and scope (``role=None``: signed out, the public), and
    whether household and aggregate routes are asked for."""

    role: Role | None
    scope: str | None
    households: bool


DISTRICT = "(a district)"
CASTS = (
    Cast(Role.DISTRICT_OFFICER, DISTRICT, households=False),
    Cast(Role.HUB_WORKER, NO_AREA, households=True),
    Cast(None, None, households=True),
)


def _refuse_commit(_conn: Connection) -> None:
    raise CommitRefused("the rehearsal before serving never commits")


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def get_routes(app: FastAPI) -> list[str]:
    """Path templates of the GET routes the rehearsal asks for (from the app's route table)."""
    return sorted(
        {
            p
            for p, methods in _walk(app.routes)
            if "GET" in methods and not p.startswith(NOT_REHEARSED)
        }
    )


def _values(db: Session) -> dict[str, Any]:
    """Codes to fill routes with: a district, a ward and an LSOA inside it, an indicator, an
    agreement and one of its purposes (whatever the portal holds; stand-ins where it holds none)."""
    district = db.scalar(
        select(AreaLink.parent_code).where(AreaLink.parent_type == "district").limit(1)
    )
    inside = {
        kind: db.scalar(
            select(AreaLink.child_code)
            .where(AreaLink.parent_code == district, AreaLink.child_type == kind)
            .limit(1)
        )
        for kind in ("ward", "lsoa")
    }
    agreement = db.scalar(select(AgreementRecord).order_by(AgreementRecord.id).limit(1))
    purposes = (agreement.document.get("purposes") or []) if agreement else []
    parties = (agreement.document.get("parties") or []) if agreement else []
    return {
        "party": parties[0].get("id", "") if parties else "",
        "district": district,
        "codes": [c for c in (district, inside["ward"], inside["lsoa"]) if c] or [NO_AREA],
        "indicator": db.scalar(select(IndicatorMeta.indicator_id).limit(1)) or "x",
        "agreement": agreement.id if agreement else "x",
        "purpose": purposes[0].get("code", "x") if purposes else "x",
    }


@contextmanager
def _rolled_back(conn: Connection) -> Iterator[None]:
    outer = conn.begin()
    try:
        yield
    finally:
        if outer.is_active:
            outer.rollback()


def _sign_in(
    factory: sessionmaker[Session], cast: Cast, district: str | None, organisation: str
) -> str | None:
    """Make a user of ``cast`` (of an agreement's party, so household routes get past the
    agreement's checks to their empty lists) and a session for it, in the open transaction;
    the cookie."""
    if cast.role is None:
        return None
    with factory() as db:
        user = User(
            username=f"rehearsal-{cast.role.value}-{secrets.token_hex(4)}",
            role=cast.role.value,
            organisation=organisation,
            active=True,
        )
        code = district if cast.scope == DISTRICT else cast.scope
        if code:
            user.scopes.append(UserScope(area_code=code))
        db.add(user)
        db.flush()
        started = sessions.start(db, user)
        db.flush()
        assert started.token is not None
        return started.token


async def _get(app: FastAPI, path: str, query: dict[str, str], cookie: str | None) -> int:
    """Answer one GET in-process (an ASGI call); the response status."""
    headers = [(b"host", b"rehearsal.invalid")]
    if cookie:
        headers.append((b"cookie", f"{sessions.COOKIE_NAME}={cookie}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(query).encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _plan(app: FastAPI, values: dict[str, Any]) -> list[tuple[Cast, str, dict[str, str]]]:
    """Every (who, path, query) the rehearsal asks for."""
    district = values["codes"][0]
    # each shape of area query: plain, searched, within an area, paged
    variants: tuple[dict[str, str], ...] = (
        {},
        {
            "agreement": values["agreement"],
            "purpose": values["purpose"],
            "indicator_id": values["indicator"],
            "show": "1",
            "table": "households",
            "area_type": "lsoa",
            "within": district,
            "q": "a",
        },
        {"within": district},
        {"q": "a", "limit": "2"},
        {"area_type": "lsoa", "within": district, "limit": "2"},
    )
    out = []
    for cast in CASTS:
        for template in get_routes(app):
            if not cast.households and ("households" in template or "aggregates" in template):
                continue  # area statistics only: never a count of households
            codes = values["codes"] if "{code}" in template else [""]
            for code in codes:
                path = (
                    template.replace("{code}", code)
                    .replace("{indicator_id}", values["indicator"])
                    .replace("{reference}", "x")
                    .replace("{username}", "x")
                )
                out += [(cast, path, query) for query in variants]
    return out


def rehearse(app: FastAPI) -> list[tuple[str, int]]:
    """Answer the plan's requests once each (see the module docstring); each path asked and its
    status (500 for one that raised).

    Runs on a thread of its own, because uvicorn loads (and so warms) the app from inside its
    event loop."""
    engine = app.state.engine
    served = app.state.sessions
    asked: list[tuple[str, int]] = []

    async def run(conn: Connection, factory: sessionmaker[Session]) -> None:
        with factory() as db:
            values = _values(db)
        for cast, path, query in _plan(app, values):
            with _rolled_back(conn):
                cookie = _sign_in(factory, cast, values["district"], values["party"])
                try:
                    status = await _get(app, path, query, cookie)
                except Exception as exc:  # noqa: BLE001 - a rehearsal failure must not stop serving
                    log.debug("rehearsal of %s failed: %r", path, exc)
                    status = 500
                asked.append((path, status))

    def in_thread() -> None:
        try:
            rehearse_on(engine.connect())
        except Exception as exc:  # noqa: BLE001 - serving goes ahead, merely less warm
            log.warning("the rehearsal before serving stopped: %s", exc)

    def rehearse_on(connection: Connection) -> None:
        with connection as conn:
            event.listen(conn, "commit", _refuse_commit)
            factory = sessionmaker(
                bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only"
            )
            app.state.sessions = factory
            try:
                asyncio.run(run(conn, factory))
            finally:
                app.state.sessions = served
                if conn.in_transaction():
                    conn.rollback()

    worker = threading.Thread(target=in_thread, name="lantern-rehearsal")
    worker.start()
    worker.join()
    return asked
