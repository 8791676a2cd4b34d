"""Properties that hold for every route the app has, read from the app's own route table, so a
route added later is covered without editing this file: refusals are audited, links never come
from the Host header, errors map to their HTTP status."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from lantern.errors import (
    ConfigError,
    DisclosureError,
    GovernanceError,
    InputError,
    IntegrityError,
    LanternError,
)
from lantern.portal import audit_db
from lantern.portal.app import create_app

#: routes anyone may use (everything else must refuse an anonymous caller)
PUBLIC = {
    "/",
    "/login",
    "/logout",
    "/object",
    "/register",
    "/api/register",
    "/api/health",
    "/openapi.json",
}
IND = "iod2025.imd_score"


def _walk(routes, prefix: str = ""):  # noqa: ANN001, ANN202
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, (APIRoute, Route)) and route.methods:
            yield from ((m, prefix + route.path) for m in sorted(route.methods) if m != "HEAD")


def route_table(app) -> list[tuple[str, str]]:
    """(method, path template) for every route of the app, HEAD excluded."""
    return sorted(set(_walk(app.routes)))


def concrete(portal, template: str) -> str:
    w = portal.world
    values = {
        "code": w.out_lsoa_other_district,
        "indicator_id": IND,
        "reference": "SYN-A00001",
        "username": "hub",
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), template)


def refusals(portal) -> list[dict]:
    with portal.session() as s:
        return [
            audit_db.as_dict(e) for e in audit_db.search(s, event="access.refused", limit=100_000)
        ]


def _call(client: TestClient, method: str, url: str):  # noqa: ANN202
    params = {"agreement": "DEMO-HUB-001", "purpose": "hub-outreach", "indicator_id": IND}
    if method == "GET":
        return client.get(url, params=params)
    return client.request(method, url, json={}, headers={"X-CSRF-Token": "forged"})


def _is_refusal(response) -> bool:
    if response.status_code in (401, 403, 429):
        return True
    if response.status_code == 303 and response.headers.get("location") == "/login":
        return True
    return response.status_code == 404 and "Not found" in response.text


def test_route_table_is_read(portal):
    table = route_table(portal.app)
    assert len(table) >= 30
    assert ("GET", "/api/households") in table and ("POST", "/object") in table


@pytest.mark.parametrize("who", ["public", "hub", "officer"])
def test_every_refusal_on_every_route_is_audited(portal, clients, who):
    client = clients[who]
    checked = 0
    for method, template in route_table(portal.app):
        if template.startswith(("/static", "/auth/oidc")) or template == "/":
            continue  # the home page only sends people to sign-in or their dashboard
        url = concrete(portal, template)
        before = len(refusals(portal))
        response = _call(client, method, url)
        if who == "public" and template not in PUBLIC:
            assert _is_refusal(response), (method, template, response.status_code)
        if _is_refusal(response) and not (template == "/login" and method == "POST"):
            new = refusals(portal)[: len(refusals(portal)) - before]
            paths = [e["details"]["path"] for e in new]
            assert url in paths, (method, template, response.status_code)
            entry = new[paths.index(url)]["details"]
            assert entry["status"] == response.status_code and entry["method"] == method
            assert entry["user"] == (None if who == "public" else who)
            checked += 1
    assert checked >= 10


def test_household_refusals_name_user_agreement_and_purpose(portal, clients):
    w = portal.world
    for params in (
        {"agreement": w.expired_agreement, "purpose": "hub-outreach"},
        {"agreement": w.agreement, "purpose": "marketing"},
    ):
        assert clients["hub"].get("/api/households", params=params).status_code == 403
        entry = refusals(portal)[0]["details"]
        assert entry["user"] == "hub" and entry["path"] == "/api/households"
        assert params["agreement"] in entry["query"] and params["purpose"] in entry["query"]
        assert entry["reason"]
    assert clients["officer"].get("/households").status_code == 403
    assert refusals(portal)[0]["details"]["user"] == "officer"


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "evil.example"},
        {"x-forwarded-host": "evil.example", "x-forwarded-proto": "https"},
        {"host": "evil.example:8443", "forwarded": "host=evil.example"},
    ],
)
def test_no_link_is_built_from_the_host_header(portal, clients, headers):
    app = create_app(replace(portal.settings, public_url="https://portal.example.org"))
    anon = TestClient(app, follow_redirects=False)
    admin = TestClient(app, follow_redirects=False)
    admin.cookies.update(clients["admin"].cookies)
    for method, template in route_table(app):
        if method != "GET" or template.startswith("/static"):
            continue
        url = concrete(portal, template)
        for client in (anon, admin):
            response = client.get(url, headers=headers)
            assert "evil.example" not in response.text, (template, response.status_code)
            assert "evil.example" not in str(response.headers), template
    register = anon.get("/api/register").json()
    assert "https://portal.example.org/object" in register["how_to_object"]
    assert 'href="https://portal.example.org/object"' in anon.get("/register").text


def test_without_a_public_url_links_are_relative(clients):
    text = clients["public"].get("/api/register", headers={"host": "evil.example"}).json()
    assert "at /object" in text["how_to_object"]


def test_public_url_is_validated():
    from lantern.portal.settings import PortalSettings

    for bad in ("portal.example.org", "ftp://x", "https://"):
        with pytest.raises(ConfigError, match="LANTERN_PORTAL_PUBLIC_URL"):
            PortalSettings(database_url="sqlite://", public_url=bad)
    with pytest.raises(ConfigError, match="OpenID Connect"):
        PortalSettings(database_url="sqlite://", oidc_metadata_url="https://idp/.well-known")


def test_secure_cookies_and_hsts_behind_a_proxy(portal):
    plain = TestClient(portal.app).get("/login")
    assert "Secure" not in plain.headers["set-cookie"]
    assert "strict-transport-security" not in plain.headers
    for settings in (
        replace(portal.settings, secure_cookies=True),
        replace(portal.settings, public_url="https://portal.example.org"),
    ):
        response = TestClient(create_app(settings)).get("/login")  # plain HTTP from the proxy
        assert "Secure" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    off = replace(portal.settings, public_url="https://portal.example.org", secure_cookies=False)
    assert "Secure" not in TestClient(create_app(off)).get("/login").headers["set-cookie"]


def test_every_lantern_error_has_an_http_status():
    import lantern.errors as errors

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, LanternError) and c is not LanternError
    ]
    assert set(classes) >= {InputError, ConfigError, DisclosureError, GovernanceError}
    for c in classes:  # each class says its status itself, so a new class cannot forget it
        assert "http_status" in vars(c) and 400 <= c.http_status < 600, c
    assert {c: c.http_status for c in classes if c.__name__ != "WarehouseError"} | {
        LanternError: LanternError.http_status
    } == {
        LanternError: 400,
        InputError: 400,
        ConfigError: 503,
        DisclosureError: 422,
        GovernanceError: 403,
        IntegrityError: 500,
    }


@pytest.mark.parametrize(
    "exc",
    [
        InputError("bad input"),
        ConfigError("settings", ["missing key"]),
        DisclosureError("cell E01000001 is below the threshold"),
        GovernanceError("agreement expired"),
        IntegrityError("does not verify"),
    ],
)
def test_the_app_answers_each_error_with_its_status(portal, exc):
    app = create_app(portal.settings)

    @app.get("/api/raise")
    def _raise() -> None:
        raise exc

    @app.get("/raise")
    def _raise_page() -> None:
        raise exc

    client = TestClient(app, raise_server_exceptions=False)
    api = client.get("/api/raise")
    assert api.status_code == exc.http_status
    detail = api.json()["detail"]
    assert ("not configured" in detail) if isinstance(exc, ConfigError) else detail == str(exc)
    page = client.get("/raise")
    assert page.status_code == exc.http_status and "<html" in page.text
