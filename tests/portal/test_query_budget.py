"""How many SQL statements a request runs, counted with SQLAlchemy's cursor events, on SQLite and
PostgreSQL: a read that creeps up by a query (a lazy load, a lookup in a loop) fails here.

Every statement is a round trip to the database and a few hundred microseconds of ORM work, and
under load (``bench/portal.py``: 50 users) that is most of a request's cost. The session, its
user and the user's scope rows are read in one statement before every signed-in request; the
budgets below are what each request of the benchmark's mix needs today (audited requests add
three statements: take the audit lock, read the chain's head, append).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from .test_route_table import route_table

IND = "iod2025.imd_score"
#: (who, path, most statements): the benchmark's mix (``bench/portal_locustfile.py``)
BUDGETS = [
    ("hub", "/api/me", 1),
    ("hub", "/api/areas/{lsoa}", 4),
    ("hub", "/api/areas/{lsoa}/indicators", 3),
    ("hub", "/api/areas?within={ward}", 3),
    ("hub", f"/api/indicators/{IND}/values?within={{ward}}", 3),
    ("hub", f"/api/areas/{{ward}}/aggregate?indicator_id={IND}", 3),
    ("hub", "/api/areas/{out}", 5),  # refused and audited
    ("hub", "/api/households?{list}", 7),
    ("hub", "/households?{list}&show=1", 9),
    ("hub", "/api/households/export?{list}", 7),
    ("officer", "/api/areas?area_type=lsoa&within={district}&limit=100", 4),
    ("officer", f"/api/areas/{{district}}/aggregate?indicator_id={IND}", 3),
    ("officer", "/api/areas?q=colchester&limit=50", 3),
    ("officer", "/dashboard", 2),
    ("officer", "/areas/{district}", 8),
    ("officer", "/areas/{lsoa}", 7),
    ("officer", "/api/aggregates?agreement={agreement}&table=outcomes&area_type=ward", 8),
    ("officer", "/aggregates/export?agreement={agreement}&table=households&area_type=lsoa", 8),
    ("officer", "/aggregates?agreement={agreement}&table=outcomes&area_type=lsoa", 9),
    # a member of the public may carry a session cookie (from the objection form): one lookup
    ("public", "/api/register", 3),
    ("public", "/register", 3),
    ("public", "/api/health", 0),
]
#: no GET route, for any role, may run more statements than this
ANY_ROUTE = 12


@contextmanager
def counting(engine) -> Iterator[list[str]]:  # noqa: ANN001
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def fill(portal, template: str) -> str:
    w = portal.world
    values = {
        "lsoa": w.in_lsoas[0],
        "ward": w.hub_ward,
        "district": w.district,
        "out": w.out_lsoa_other_district,
        "agreement": w.agreement,
        "list": f"agreement={w.agreement}&purpose=hub-outreach",
    }
    return template.format(**values)


@pytest.mark.parametrize(("who", "path", "most"), BUDGETS, ids=[f"{w} {p}" for w, p, _ in BUDGETS])
def test_each_request_of_the_mix_stays_within_its_query_budget(portal, clients, who, path, most):
    client, url = clients[who], fill(portal, path)
    client.get(url)  # first use: compiled statements, caches
    with counting(portal.app.state.engine) as seen:
        response = client.get(url)
    assert response.status_code in (200, 404), response.text
    assert len(seen) <= most, "\n".join(s[:120] for s in seen)


def test_the_session_user_and_scopes_are_one_statement(portal, clients):
    """Any signed-in request starts with exactly one read of who is asking."""
    with counting(portal.app.state.engine) as seen:
        me = clients["hub"].get("/api/me")
    assert me.status_code == 200 and me.json()["scope"]  # the scope rows came with it
    assert len(seen) == 1
    assert re.search(r"\bsessions\b.*\busers\b.*\buser_scopes\b", seen[0], re.S)


@pytest.mark.parametrize("who", ["admin", "officer", "hub", "public"])
def test_no_get_route_runs_more_than_the_ceiling(portal, clients, who):
    w = portal.world
    values = {"code": w.in_lsoas[0], "indicator_id": IND, "reference": "x", "username": "hub"}
    params = {"agreement": w.agreement, "purpose": "hub-outreach", "indicator_id": IND}
    over = {}
    for method, template in route_table(portal.app):
        if method != "GET" or template.startswith(("/static", "/auth/oidc", "/logout")):
            continue
        url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), template)
        clients[who].get(url, params=params)
        with counting(portal.app.state.engine) as seen:
            clients[who].get(url, params=params)
        if len(seen) > ANY_ROUTE:
            over[url] = len(seen)
    assert not over, over
