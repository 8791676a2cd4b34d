"""Every role × every endpoint × in-scope / out-of-scope area, on SQLite and PostgreSQL.

Out-of-scope requests get 403 (role) or 404 (area or household outside the scope), and nothing
about out-of-scope areas or households leaks through search, listings, exports or error bodies.
"""

from __future__ import annotations

import pytest

ROLES = ("public", "admin", "analyst", "officer", "hub")
WHERE = ("in", "same_district", "other_district")
PURPOSE = "hub-outreach"
IND = "iod2025.imd_score"


def area_for(portal, where: str) -> str:
    w = portal.world
    return {
        "in": w.in_lsoas[0],
        "same_district": w.out_lsoa_same_district,
        "other_district": w.out_lsoa_other_district,
    }[where]


def area_expected(role: str, where: str, page: bool = False) -> int:
    if role == "public":
        return 303 if page else 401
    if role in ("admin", "analyst"):
        return 200
    if role == "officer":
        return 404 if where == "other_district" else 200
    return 200 if where == "in" else 404


AREA_ENDPOINTS = [
    ("/api/areas/{code}", False),
    ("/api/areas/{code}/indicators", False),
    ("/api/areas/{code}/aggregate?indicator_id=" + IND, False),
    ("/api/indicators/" + IND + "/values?within={code}", False),
    ("/api/areas?within={code}", False),
    ("/areas/{code}", True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize(("template", "page"), AREA_ENDPOINTS)
def test_area_endpoints(portal, clients, role, where, template, page):
    code = area_for(portal, where)
    url = template.format(code=code)
    response = clients[role].get(url)
    assert response.status_code == area_expected(role, where, page), (url, response.text[:200])
    if response.status_code == 404:
        body = response.text
        assert code not in body
        nonexistent = clients[role].get(template.format(code="E01999999"))
        assert nonexistent.status_code == 404
        assert nonexistent.text == body  # out of scope looks exactly like "does not exist"


def household_expected(role: str, page: bool = False) -> int:
    if role == "public":
        return 303 if page else 401
    return 200 if role == "hub" else 403


HOUSEHOLD_ENDPOINTS = [
    ("/api/households", False),
    ("/api/households/export", False),
    ("/households", True),
    ("/households/export", True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "page"), HOUSEHOLD_ENDPOINTS)
def test_household_endpoints(portal, clients, role, path, page):
    w = portal.world
    response = clients[role].get(
        path, params={"agreement": w.agreement, "purpose": PURPOSE, "show": 1}
    )
    assert response.status_code == household_expected(role, page), response.text[:200]
    out_refs = _refs_outside(portal)
    for ref in out_refs:
        assert ref not in response.text
    if response.status_code == 200:
        assert any(ref in response.text for ref in _refs_inside(portal))


def _refs(portal, inside: bool) -> list[str]:
    from sqlalchemy import select

    from lantern.portal.models import Household

    with portal.session() as s:
        rows = s.execute(select(Household.reference, Household.lsoa_code)).all()
    return [r for r, lsoa in rows if (lsoa in portal.world.in_lsoas) == inside]


def _refs_inside(portal) -> list[str]:
    return [r for r in _refs(portal, True) if r.startswith("SYN-A")]


def _refs_outside(portal) -> list[str]:
    return _refs(portal, False)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ("in", "out"))
def test_outcome_api(portal, clients, role, where):
    client = clients[role]
    ref = (
        _refs_inside(portal)[0]
        if where == "in"
        else [r for r in _refs_outside(portal) if r.startswith("SYN-A")][0]
    )
    token = client.get("/api/me").json().get("csrf_token", "") if role != "public" else ""
    response = client.post(
        f"/api/households/{ref}/outcome",
        headers={"X-CSRF-Token": token},
        json={"outcome": "no_answer", "agreement": portal.world.agreement, "purpose": PURPOSE},
    )
    expected = {"public": 401, "hub": 200 if where == "in" else 404}.get(role, 403)
    assert response.status_code == expected, response.text
    if response.status_code == 404:
        assert ref not in response.text


ADMIN_ENDPOINTS = [
    ("/api/admin/users", False),
    ("/api/admin/agreements", False),
    ("/api/admin/audit", False),
    ("/api/admin/audit/export", False),
    ("/api/admin/audit/verify", False),
    ("/admin/audit", True),
    ("/admin/agreements", True),
    ("/admin/users", True),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "page"), ADMIN_ENDPOINTS)
def test_admin_endpoints(clients, role, path, page):
    response = clients[role].get(path)
    expected = (303 if page else 401) if role == "public" else (200 if role == "admin" else 403)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/api/register", "/register", "/object", "/api/health", "/login"])
def test_public_endpoints(clients, role, path):
    response = clients[role].get(path)
    assert response.status_code == (303 if path == "/login" and role != "public" else 200)


@pytest.mark.parametrize("role", ("public", "admin", "analyst", "officer", "hub"))
def test_staff_endpoints(clients, role):
    for path, page in (
        ("/api/me", False),
        ("/api/indicators", False),
        ("/api/areas", False),
        ("/dashboard", True),
    ):
        response = clients[role].get(path)
        assert response.status_code == ((303 if page else 401) if role == "public" else 200), path


@pytest.mark.parametrize("role", ("officer", "hub"))
def test_search_and_listings_reveal_nothing_outside_scope(portal, clients, role):
    w = portal.world
    client = clients[role]
    visible = set(w.in_lsoas) if role == "hub" else None
    # search by the out-of-scope area's code and name finds nothing
    with portal.session() as s:
        from lantern.portal.models import Area

        other = s.get(Area, w.out_lsoa_other_district)
    for q in (other.area_code, other.area_name):
        page = client.get("/api/areas", params={"q": q}).json()
        assert page["total"] == 0 and page["items"] == []
        html = client.get("/dashboard", params={"q": q}).text
        assert f'href="/areas/{other.area_code}"' not in html and "0 area(s)" in html
    # every listed area and indicator value is inside the scope
    listed = client.get("/api/areas", params={"limit": 500}).json()
    values = client.get(f"/api/indicators/{IND}/values").json()
    codes = {a["area_code"] for a in listed["items"]} | {v["area_code"] for v in values}
    assert w.out_lsoa_other_district not in codes
    if visible is not None:
        lsoas = {a["area_code"] for a in listed["items"] if a["area_type"] == "lsoa"} | {
            v["area_code"] for v in values
        }
        assert lsoas == visible
        assert {a["area_code"] for a in listed["items"] if a["area_type"] == "district"} == set()
    else:
        assert listed["total"] > 0 and all(
            v["area_code"] not in {w.out_lsoa_other_district} for v in values
        )
    # the district aggregate is refused to a hub worker, and for an officer covers only their LSOAs
    agg = client.get(f"/api/areas/{w.district}/aggregate", params={"indicator_id": IND})
    if role == "hub":
        assert agg.status_code == 404
        ward = client.get(f"/api/areas/{w.hub_ward}/aggregate", params={"indicator_id": IND}).json()
        assert ward["lsoas"] == len(w.in_lsoas)
    else:
        assert agg.status_code == 200 and agg.json()["lsoas"] > len(w.in_lsoas)


def test_analyst_aggregate_matches_hand_computation(portal, clients):
    """The ward mean equals the mean of its LSOAs' real IoD2025 scores."""
    w = portal.world
    values = (
        clients["analyst"]
        .get(f"/api/indicators/{IND}/values", params={"within": w.hub_ward})
        .json()
    )
    agg = (
        clients["analyst"]
        .get(f"/api/areas/{w.hub_ward}/aggregate", params={"indicator_id": IND})
        .json()
    )
    scores = [v["value"] for v in values]
    assert len(scores) == len(w.in_lsoas) == agg["lsoas"]
    assert agg["mean"] == pytest.approx(sum(scores) / len(scores))
    assert agg["min"] == min(scores) and agg["max"] == max(scores)
