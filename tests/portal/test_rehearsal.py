"""The rehearsal before serving (``lantern.portal.rehearsal``), on SQLite and PostgreSQL: it asks
every staff and public GET route, leaves nothing behind in any table (not even an audit entry),
is shown no household, and afterwards the area routes compile no new SQL statement."""

from __future__ import annotations

from sqlalchemy import event, func, select

from lantern.portal import rehearsal
from lantern.portal.app import create_app
from lantern.portal.models import Area, AuditEntry, Base, LoginAttempt

IND = "iod2025.imd_score"


def snapshot(portal) -> dict[str, object]:  # noqa: ANN001
    """Rows of every portal table, and the audit chain's head."""
    with portal.session() as db:
        out: dict[str, object] = {
            t.name: db.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        out["audit head"] = db.scalar(select(func.max(AuditEntry.seq)))
    return out


def test_the_rehearsal_asks_every_route_and_leaves_nothing_behind(portal):
    app = create_app(portal.settings)

    # a route that writes and commits: the rehearsal must still leave no row behind
    @app.get("/rehearsal-probe")
    def probe() -> dict:
        with app.state.sessions() as db:
            db.add(LoginAttempt(client="rehearsal-probe"))
            db.commit()
        return {}

    before = snapshot(portal)
    statuses = rehearsal.rehearse(app)
    assert snapshot(portal) == before
    with portal.session() as db:
        assert db.scalar(select(func.count()).where(LoginAttempt.client == "rehearsal-probe")) == 0
    asked = {path for path, _ in statuses}
    for template in rehearsal.get_routes(app):
        assert any(p.startswith(template.split("{")[0]) for p in asked), template
    assert "/rehearsal-probe" in asked
    assert not [s for s in statuses if s[1] >= 500], statuses
    assert app.state.sessions is not None and app.state.sessions().bind is app.state.engine
    app.state.engine.dispose()


def test_the_rehearsal_is_shown_no_household(portal):
    with portal.session() as db:
        assert db.get(Area, rehearsal.NO_AREA) is None  # the hub worker's scope holds nothing
    app = create_app(portal.settings)
    for cast, path, _query in rehearsal._plan(app, {
        "codes": [portal.world.district], "district": portal.world.district,
        "indicator": IND, "agreement": portal.world.agreement, "purpose": "hub-outreach",
    }):  # fmt: skip
        if cast.scope == rehearsal.DISTRICT:  # the only cast that sees real areas
            assert "households" not in path and "aggregates" not in path, path
        else:
            assert cast.scope in (None, rehearsal.NO_AREA)
    app.state.engine.dispose()


def test_after_the_rehearsal_area_routes_compile_nothing_new(portal, clients):
    app = create_app(portal.settings)
    rehearsal.rehearse(app)
    compiled: list[str] = []

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, _params, context, _many) -> None:  # noqa: ANN001
        if context is not None and context.cache_hit is context.dialect.CACHE_MISS:
            compiled.append(statement)

    from fastapi.testclient import TestClient

    w = portal.world
    cookies = {who: clients[who].cookies for who in ("officer", "hub")}
    paths = {
        "officer": ["/dashboard", f"/areas/{w.district}", f"/areas/{w.in_lsoas[0]}"],
        "hub": [
            f"/api/areas/{w.in_lsoas[0]}",
            f"/api/areas/{w.in_lsoas[0]}/indicators",
            f"/api/areas?within={w.hub_ward}",
            f"/api/indicators/{IND}/values?within={w.hub_ward}",
            f"/api/areas/{w.hub_ward}/aggregate?indicator_id={IND}",
            f"/api/areas/{w.out_lsoa_other_district}",
            "/api/register",
            "/register",
        ],
    }
    for who, urls in paths.items():
        client = TestClient(app, cookies=dict(cookies[who]), follow_redirects=False)
        for url in urls:
            assert client.get(url).status_code in (200, 404), url
    assert compiled == []
    app.state.engine.dispose()
