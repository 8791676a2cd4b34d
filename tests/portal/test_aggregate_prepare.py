"""Protected aggregate tables made before serving (``lantern.portal.aggregates.prepare``): every
active user's first read is answered without protecting anything, and a table made earlier is
never served after the user's scope or the agreement's households change.

Each table served is compared with one made from nothing (every cache emptied), and its areas
with an oracle computed from the raw area tables.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, insert, select, text

from lantern.portal import accounts, aggregates, agreements
from lantern.portal.models import ContactOutcome, Household, Role

from .conftest import BACKENDS, PASSWORD, UNLIMITED, make_portal

TODAY = date.today()
LEVELS = ["lsoa", "ward"]  # the demo agreement's permitted outputs


@pytest.fixture(scope="module", params=BACKENDS)
def portal(request, tmp_path_factory):
    """The demo world (the test that replaces the households runs last)."""
    folder = tmp_path_factory.mktemp("prepare")
    portal = make_portal(request.param, "portal_prepare", folder, request, **UNLIMITED)
    with portal.session() as s:
        assert list(agreements.get(s, portal.world.agreement).permitted_outputs) == LEVELS
    return portal


@pytest.fixture(autouse=True)
def started_afresh():
    forget()
    yield
    forget()


def forget() -> None:
    """Empty this process's tables, as in a process just started."""
    with aggregates._CACHE_LOCK:
        aggregates._CACHE.clear()
        aggregates._SNAPSHOTS.clear()


def prepare(portal) -> aggregates.Prepared:
    return aggregates.prepare(
        portal.app.state.sessions, policy=portal.settings.policy, today=TODAY, seconds=60
    )


def read(client, agreement: str, area_type: str, table: str = "households") -> list[dict]:
    response = client.get(
        "/api/aggregates", params={"agreement": agreement, "table": table, "area_type": area_type}
    )
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def from_nothing(client, agreement: str, area_type: str, table: str = "households") -> list[dict]:
    """The same read with every table forgotten first (made from the data as it is now)."""
    forget()
    return read(client, agreement, area_type, table)


def visible(portal, scope: list[str], area_type: str) -> set[str]:
    """Oracle: the areas of ``area_type`` a scope covers, from the raw area tables."""
    with portal.session() as s:
        links = s.execute(text("select child_code, parent_code from area_links")).all()
        types = dict(s.execute(text("select area_code, area_type from areas")).all())
    covered = set(scope) | {child for child, parent in links if parent in scope}
    return {c for c in covered if types.get(c) == area_type}


class NoProtection(AssertionError):
    pass


def test_every_active_users_tables_are_made_before_serving(portal, monkeypatch):
    w = portal.world
    made = prepare(portal)
    with portal.session() as s:
        users = s.execute(text("select id, role from users where active = :t"), {"t": True}).all()
        held = s.execute(text("select user_id, area_code from user_scopes")).all()
    scopes = {
        None if role in ("administrator", "analyst") else frozenset(c for u, c in held if u == user)
        for user, role in users
    }
    assert made.complete and made.scopes == len(scopes) >= 4  # admin and analyst share one
    assert made.tables == len(scopes) * 2 * len(LEVELS)  # both tables at every level
    officer, hub = portal.sign_in("officer"), portal.sign_in("hub")

    def refuse(*_args: object, **_kw: object) -> None:
        raise NoProtection("a table was protected while serving")

    monkeypatch.setattr(aggregates, "protect_counts", refuse)
    served = {
        (who, table, level): read(client, w.agreement, level, table)
        for who, client in (("officer", officer), ("hub", hub))
        for table in aggregates.TABLES
        for level in LEVELS
    }
    monkeypatch.undo()
    for (who, table, level), rows in served.items():
        client = officer if who == "officer" else hub
        assert rows == from_nothing(client, w.agreement, level, table)
        scope = [w.district] if who == "officer" else [w.hub_ward]
        assert {r["area_code"] for r in rows} == visible(portal, scope, level)


def test_prepare_stops_at_its_time_limit_and_reads_still_work(portal):
    made = aggregates.prepare(
        portal.app.state.sessions, policy=portal.settings.policy, today=TODAY, seconds=0
    )
    assert not made.complete and made.tables == 0
    hub = portal.sign_in("hub")
    rows = read(hub, portal.world.agreement, "lsoa")
    assert {r["area_code"] for r in rows} == visible(portal, [portal.world.hub_ward], "lsoa")


def test_a_narrowed_scope_is_never_served_the_wider_table(portal):
    w = portal.world
    with portal.session() as s:
        accounts.create_user(
            s,
            username="wide",
            role=Role.DISTRICT_OFFICER,
            password=PASSWORD,
            scope=[w.district, w.other_district],
            organisation="x",
            actor="t",
        )
        s.commit()
    prepare(portal)  # the wide scope's tables are made
    wide = portal.sign_in("wide")
    wide_rows = {lvl: read(wide, w.agreement, lvl) for lvl in LEVELS}
    both = visible(portal, [w.district, w.other_district], "ward")
    assert (
        {r["area_code"] for r in wide_rows["ward"]} == both > visible(portal, [w.district], "ward")
    )

    admin = portal.sign_in("admin")
    token = admin.get("/api/me").json()["csrf_token"]
    for role, scope in (
        (Role.DISTRICT_OFFICER, [w.district]),
        (Role.HUB_WORKER, [w.hub_ward]),
        (Role.DISTRICT_OFFICER, [w.district, w.other_district]),
    ):
        changed = admin.put(
            "/api/admin/users/wide/scope",
            json={"role": role.value, "scope": scope},
            headers={"x-csrf-token": token},
        )
        assert changed.status_code == 200, changed.text
        user = portal.sign_in("wide")  # the change ended the user's sessions
        for level in LEVELS:
            rows = read(user, w.agreement, level)
            assert {r["area_code"] for r in rows} == visible(portal, scope, level), (scope, level)
            assert rows == from_nothing(user, w.agreement, level)
    # back to the wide scope: the same table as before
    assert {lvl: read(user, w.agreement, lvl) for lvl in LEVELS} == wide_rows


def test_requests_arriving_together_protect_a_table_once(portal, monkeypatch):
    import threading

    w = portal.world
    calls = []
    real = aggregates.protect_counts

    def counted(*args: object, **kw: object):  # noqa: ANN202
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(aggregates, "protect_counts", counted)
    start = threading.Barrier(6)
    results: list[list[str]] = []

    def one() -> None:
        from lantern.portal.models import User
        from lantern.portal.scope import Scope, ScopedQueries

        with portal.session() as s:
            user = s.scalar(select(User).where(User.username == "officer"))
            scoped = ScopedQueries(s, Scope.for_user(user))
            start.wait()
            built = aggregates.build(
                s,
                scoped,
                agreement_id=w.agreement,
                table="outcomes",
                area_type="ward",
                policy=portal.settings.policy,
                today=TODAY,
                refresh=timedelta(minutes=15),
            )
        results.append([r["area_code"] for r in built.rows])

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r == results[0] for r in results)
    assert len(calls) == 1


def test_a_new_household_list_is_never_served_an_earlier_table(portal):
    """A new list of the same size, even reusing every id (as SQLite may after a delete), is
    a new table: only its import time tells it apart."""
    w = portal.world
    prepare(portal)
    hub = portal.sign_in("hub")
    before = read(hub, w.agreement, "lsoa")
    with portal.session() as s:
        old_version = aggregates.households_version(s, w.agreement)
        rows = s.execute(
            select(Household.__table__).where(Household.agreement_id == w.agreement)
        ).all()
        s.execute(
            delete(ContactOutcome).where(ContactOutcome.household_id.in_([r.id for r in rows]))
        )
        s.execute(delete(Household).where(Household.agreement_id == w.agreement))
        # the new list: the same households, ids and references, all in the hub's first LSOA
        moved = [
            {
                **r._mapping,
                "lsoa_code": w.in_lsoas[0],
                "imported_at": r.imported_at + timedelta(seconds=1),
            }
            for r in rows
        ]
        s.execute(insert(Household), moved)
        s.commit()
        new_version = aggregates.households_version(s, w.agreement)
    assert new_version[:2] == old_version[:2] and new_version != old_version
    after = read(hub, w.agreement, "lsoa")
    assert after != before
    counts = {r["area_code"]: r["households"] for r in after}
    assert all(n == 0 for code, n in counts.items() if code != w.in_lsoas[0])
    in_scope = sum(1 for r in rows if r.lsoa_code in set(w.in_lsoas))
    assert counts[w.in_lsoas[0]] is not None and abs(counts[w.in_lsoas[0]] - len(rows)) <= 2
    assert in_scope < len(rows)  # households from outside the scope moved in, and are counted
    assert after == from_nothing(hub, w.agreement, "lsoa")
