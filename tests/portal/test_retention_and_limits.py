"""Clean over time, on both backends: expired agreement data is purged (CLI, start-up, audited),
stale sessions go, every state-changing route is rate limited, objections are stored once,
and ``serve`` refuses several workers on SQLite."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from lantern.cli import main
from lantern.portal import audit_db, retention
from lantern.portal.app import create_app
from lantern.portal.models import ContactOutcome, Household, WebSession, utcnow

from .conftest import UNLIMITED, make_portal
from .test_route_table import route_table

_fresh_ids = count()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh(request, tmp_path):
    """A portal of its own whose demo world still holds the expired agreement's households."""
    name = f"portal_purge_{next(_fresh_ids)}"
    return make_portal(request.param, name, tmp_path, request, **UNLIMITED)


def _count(portal, agreement: str) -> int:
    with portal.session() as s:
        return s.scalar(
            select(func.count()).select_from(Household).where(Household.agreement_id == agreement)
        )


def test_start_up_purges_expired_households_and_audits(fresh):
    w = fresh.world
    # make_portal created the app, which purged at start-up
    assert _count(fresh, w.expired_agreement) == 0
    assert _count(fresh, w.agreement) > 0
    with fresh.session() as s:
        (entry,) = audit_db.search(s, event="retention.purged")
        orphans = s.scalar(
            select(func.count())
            .select_from(ContactOutcome)
            .where(~ContactOutcome.household_id.in_(select(Household.id)))
        )
    assert entry.details["households"] == {w.expired_agreement: 3 * (len(w.in_lsoas) + 2)}
    assert entry.details["actor"] == "portal:start-up"
    assert orphans == 0
    # the active agreement's list is untouched and a second run finds nothing to do
    with fresh.session() as s:
        report = retention.purge(s, fresh.settings, today=date.today(), actor="t")
    assert report.households == {}


def test_cli_purge_when_the_retention_end_passes(fresh):
    w = fresh.world
    hub = fresh.sign_in("hub")
    ref = hub.get(
        "/api/households", params={"agreement": w.agreement, "purpose": "hub-outreach"}
    ).json()["households"][0]["reference"]
    token = hub.get("/api/me").json()["csrf_token"]
    assert (
        hub.post(
            f"/api/households/{ref}/outcome",
            headers={"X-CSRF-Token": token},
            json={"outcome": "no_answer", "agreement": w.agreement, "purpose": "hub-outreach"},
        ).status_code
        == 200
    )
    before = _count(fresh, w.agreement)
    from lantern.portal.models import AgreementRecord

    with fresh.session() as s:
        s.execute(
            update(AgreementRecord)
            .where(AgreementRecord.id == w.agreement)
            .values(retention_end=date.today() - timedelta(days=1))
        )
        s.commit()
    assert main(["portal", "purge", "--db", fresh.settings.database_url]) == 0
    assert _count(fresh, w.agreement) == 0
    with fresh.session() as s:
        assert s.scalar(select(func.count()).select_from(ContactOutcome)) == 0
        entry = audit_db.search(s, event="retention.purged", limit=1)[0]
    assert entry.details["households"] == {w.agreement: before}
    assert entry.details["actor"].startswith("cli:")


def test_stale_and_anonymous_sessions_are_purged(portal):
    settings = replace(portal.settings, anonymous_session_minutes=30)
    anon = portal.client()
    anon.get("/object")
    signed = portal.sign_in("analyst")
    old = utcnow() - timedelta(minutes=31)
    with portal.session() as s:
        s.execute(update(WebSession).where(WebSession.user_id.is_(None)).values(created_at=old))
        s.commit()
        report = retention.purge(s, settings, today=date.today(), actor="t")
        left_anonymous = s.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id.is_(None))
        )
    assert report.sessions >= 1 and left_anonymous == 0
    assert signed.get("/api/me").status_code == 200  # a live signed-in session stays


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_route_is_rate_limited(portal):
    app = create_app(
        replace(portal.settings, write_rate_per_minute=3, objection_rate_per_hour=1_000)
    )
    routes = [(m, p) for m, p in route_table(app) if m in WRITE_METHODS]
    assert ("POST", "/object") in routes and ("POST", "/login") in routes
    for method, template in routes:
        path = template.replace("{reference}", "SYN-A00001").replace("{username}", "hub")
        client = TestClient(app, follow_redirects=False, client=(f"198.51.100.{len(path)}", 1))
        client.headers["x-test-route"] = path
        statuses = [client.request(method, path).status_code for _ in range(5)]
        assert 429 in statuses, (method, template, statuses)
        limited = client.request(method, path)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    with portal.session() as s:
        refused = [e.details for e in audit_db.search(s, event="access.refused", limit=500)]
    assert any(d["status"] == 429 and d["path"] == "/object" for d in refused)


def test_objections_are_rate_limited_per_client(portal, tmp_path):
    from lantern.linkage.keystore import KeyStore

    from .conftest import csrf_from

    store = KeyStore(tmp_path / "keys")
    store.create(portal.world.agreement, "r2025")
    app = create_app(replace(portal.settings, keystore=str(store.root), objection_rate_per_hour=2))
    client = TestClient(app, follow_redirects=False, client=("203.0.113.77", 1))
    token = csrf_from(client.get("/object").text)
    statuses = [
        client.post("/object", data={"nhs_number": "943 476 5919", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    other = TestClient(app, follow_redirects=False, client=("203.0.113.78", 1))
    token = csrf_from(other.get("/object").text)
    assert (
        other.post("/object", data={"nhs_number": "4010232137", "csrf_token": token}).status_code
        == 200
    )


def test_serve_refuses_several_workers_on_sqlite(tmp_path, capsys):
    code = main(["portal", "serve", "--workers", "2", "--db", f"sqlite:///{tmp_path}/p.db"])
    assert code != 0
    err = capsys.readouterr()
    assert "needs PostgreSQL" in err.out + err.err and "Traceback" not in err.out + err.err
