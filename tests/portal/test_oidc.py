"""OpenID Connect sign-in against an in-process test provider, on both backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from lantern.portal import accounts, audit_db
from lantern.portal.app import create_app
from lantern.portal.models import Role
from lantern.portal.sessions import COOKIE_NAME

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeIdentityProvider


@pytest.fixture(scope="module")
def oidc(portal):
    provider = FakeIdentityProvider()
    settings = replace(
        portal.settings,
        oidc_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        public_url="http://testserver",
    )
    app = create_app(settings, oidc_transport=provider.transport)
    with portal.session() as s:
        accounts.create_user(
            s,
            username="alice-oidc",
            role=Role.ANALYST,
            password=None,
            oidc_subject=f"{ISSUER}|alice",
            actor="test",
        )
        s.commit()
    return app, provider


def start(app, provider) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    assert "Sign in with your organisation" in client.get("/login").text
    before = client.cookies.get(COOKIE_NAME)
    redirect = client.get("/auth/oidc/login")
    assert redirect.status_code == 303 and redirect.headers["location"].startswith(
        f"{ISSUER}/authorize"
    )
    assert "code_challenge_method=S256" in redirect.headers["location"]
    return client, before, provider.authorize(redirect.headers["location"])


def test_oidc_sign_in_links_to_a_provisioned_account(portal, oidc):
    app, provider = oidc
    provider.subject, provider.nonce_override, provider.signing_key = "alice", None, provider.key
    client, before, callback = start(app, provider)
    done = client.get(callback)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    assert client.cookies.get(COOKIE_NAME) != before  # session id rotated
    assert client.get("/api/me").json()["username"] == "alice-oidc"
    assert client.get(callback).status_code == 403  # the state is single use
    with portal.session() as s:
        entry = audit_db.search(s, event="auth.signed_in", limit=1)[0]
    assert entry.details == {"user": "alice-oidc", "client": "testclient", "method": "oidc"}


@pytest.mark.parametrize("attack", ["wrong_state", "wrong_nonce", "foreign_key", "unknown_subject"])
def test_oidc_refuses_what_it_cannot_verify(portal, oidc, attack):
    app, provider = oidc
    provider.subject, provider.nonce_override, provider.signing_key = "alice", None, provider.key
    if attack == "wrong_nonce":
        provider.nonce_override = "replayed-nonce"
    if attack == "foreign_key":
        provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    if attack == "unknown_subject":
        provider.subject = "mallory"
    client, _, callback = start(app, provider)
    if attack == "wrong_state":
        callback = callback.replace("state=", "state=x")
    response = client.get(callback)
    assert response.status_code == 403
    assert client.get("/api/me").status_code == 401
