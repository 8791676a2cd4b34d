"""Scope changes over time, on SQLite and PostgreSQL: narrowing, widening, re-saving, role changes,
disabling and enabling. After every change the user sees exactly the new scope and nothing else.

The oracle is independent of ``lantern.portal.scope``: it reads ``area_links`` with plain SQL and
computes the visible set in Python.
"""

from __future__ import annotations

from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lantern.portal import accounts
from lantern.portal.models import Role

from .conftest import PASSWORD, sign_in

_ids = count()
PURPOSE = "hub-outreach"


def _new_user(portal, role: Role, scope: list[str]) -> str:
    name = f"scope{next(_ids)}"
    with portal.session() as s:
        accounts.create_user(
            s,
            username=name,
            role=role,
            password=PASSWORD,
            scope=scope,
            organisation="colchester-hub",
            actor="test",
        )
        s.commit()
    return name


def _oracle(portal, role: str, scope: list[str]) -> set[str]:
    """Every area code the user should see, computed from the raw tables."""
    with portal.session() as s:
        areas = {r[0] for r in s.execute(text("select area_code from areas"))}
        links = s.execute(text("select child_code, parent_code from area_links")).all()
    if role in ("administrator", "analyst"):
        return areas
    wanted = set(scope)
    return wanted | {child for child, parent in links if parent in wanted}


def _listed(client) -> set[str]:
    out: set[str] = set()
    offset = 0
    while True:
        page = client.get("/api/areas", params={"limit": 500, "offset": offset}).json()
        out |= {a["area_code"] for a in page["items"]}
        offset += 500
        if offset >= page["total"]:
            return out


def _households(portal) -> dict[str, str]:
    with portal.session() as s:
        return dict(
            s.execute(
                text("select reference, lsoa_code from households where agreement_id = :a"),
                {"a": portal.world.agreement},
            ).all()
        )


def _admin_put(portal, admin, name: str, role: str, scope: list[str]):  # noqa: ANN202
    token = admin.get("/api/me").json()["csrf_token"]
    return admin.put(
        f"/api/admin/users/{name}/scope",
        headers={"X-CSRF-Token": token},
        json={"role": role, "scope": scope},
    )


def _check_sees_exactly(portal, name: str, role: str, scope: list[str]) -> None:
    client = portal.sign_in(name)
    me = client.get("/api/me").json()
    assert me["role"] == role and me["scope"] == sorted(scope)
    expected = _oracle(portal, role, scope)
    if role in ("administrator", "analyst"):
        assert client.get("/api/areas").json()["total"] == len(expected)
    else:
        assert _listed(client) == expected
    for code in scope:
        assert client.get(f"/api/areas/{code}").status_code == 200
    if role == "hub_worker":
        listed = client.get(
            "/api/households", params={"agreement": portal.world.agreement, "purpose": PURPOSE}
        ).json()["households"]
        want = {r for r, lsoa in _households(portal).items() if lsoa in expected}
        assert {h["reference"] for h in listed} == want


def _pools(portal) -> dict[str, list[str]]:
    w = portal.world
    return {
        "hub_worker": [
            w.hub_ward,
            w.other_ward,
            w.in_lsoas[0],
            w.in_lsoas[-1],
            w.out_lsoa_same_district,
            w.out_lsoa_other_district,
        ],
        "district_officer": [w.district, w.other_district],
    }


@pytest.mark.parametrize("how", ["api", "cli"])
@pytest.mark.parametrize(
    "change",
    ["narrow", "widen", "resave", "swap", "narrow_to_lsoa"],
)
def test_scope_change_kinds(portal, how, change):
    w = portal.world
    start, end = {
        "narrow": ([w.hub_ward, w.other_ward], [w.hub_ward]),
        "widen": ([w.hub_ward], [w.hub_ward, w.other_ward]),
        "resave": ([w.hub_ward, w.other_ward], [w.other_ward, w.hub_ward]),
        "swap": ([w.hub_ward], [w.other_ward]),
        "narrow_to_lsoa": ([w.hub_ward], [w.in_lsoas[0]]),
    }[change]
    name = _new_user(portal, Role.HUB_WORKER, start)
    before = portal.sign_in(name)
    _check_sees_exactly(portal, name, "hub_worker", start)
    if how == "api":
        response = _admin_put(portal, portal.sign_in("admin"), name, "hub_worker", end)
        assert response.status_code == 200, response.text
        assert response.json()["scope"] == sorted(end)
    else:
        from lantern.cli import main

        args = ["portal", "user", "scope", name, "--role", "hub_worker"]
        for code in end:
            args += ["--scope", code]
        assert main([*args, "--db", portal.settings.database_url]) == 0
    assert before.get("/api/me").status_code == 401  # the old session ended
    _check_sees_exactly(portal, name, "hub_worker", end)


def test_failed_scope_change_changes_nothing(portal):
    """A refused change (unknown area) leaves role, scope and sessions exactly as they were."""
    w = portal.world
    name = _new_user(portal, Role.HUB_WORKER, [w.hub_ward, w.other_ward])
    client = portal.sign_in(name)
    response = _admin_put(
        portal, portal.sign_in("admin"), name, "hub_worker", [w.hub_ward, "E05999999"]
    )
    assert response.status_code == 400
    assert client.get("/api/me").json()["scope"] == sorted([w.hub_ward, w.other_ward])


def test_disable_and_enable(portal):
    w = portal.world
    name = _new_user(portal, Role.HUB_WORKER, [w.hub_ward])
    client = portal.sign_in(name)
    from lantern.cli import main

    db = ["--db", portal.settings.database_url]
    assert main(["portal", "user", "disable", name, *db]) == 0
    assert client.get("/api/me").status_code == 401
    assert sign_in(portal.client(), name).status_code == 401
    assert main(["portal", "user", "enable", name, *db]) == 0
    _check_sees_exactly(portal, name, "hub_worker", [w.hub_ward])


STEP = st.one_of(
    st.tuples(st.just("hub_worker"), st.sets(st.integers(0, 5), min_size=1, max_size=4)),
    st.tuples(st.just("district_officer"), st.sets(st.integers(0, 1), min_size=1)),
    st.tuples(st.just("analyst"), st.just(frozenset())),
    st.tuples(st.just("disable"), st.just(frozenset())),
)


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(STEP, st.booleans()), min_size=1, max_size=4))
def test_random_scope_sequences_leave_exactly_the_last_scope(portal, steps):
    pools = _pools(portal)
    name = _new_user(portal, Role.HUB_WORKER, [portal.world.hub_ward])
    admin = portal.sign_in("admin")
    role, scope, active = "hub_worker", [portal.world.hub_ward], True
    for (kind, picks), via_api in steps:
        if kind == "disable":
            with portal.session() as s:
                accounts.set_active(s, accounts.get_user(s, name), active=not active, actor="t")
            active = not active
            continue
        new_scope = [pools[kind][i] for i in sorted(picks)] if kind in pools else []
        if via_api:
            response = _admin_put(portal, admin, name, kind, new_scope)
            assert response.status_code == 200, response.text
        else:
            with portal.session() as s:
                accounts.set_role_and_scope(
                    s,
                    accounts.get_user(s, name),
                    role=Role(kind),
                    scope=new_scope,
                    actor="t",
                )
                s.commit()
        role, scope = kind, new_scope
    if not active:
        assert sign_in(portal.client(), name).status_code == 401
        return
    _check_sees_exactly(portal, name, role, scope)
