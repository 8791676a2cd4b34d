"""Optional OpenID Connect sign-in (authorisation code flow with PKCE, via authlib).

Accounts are still provisioned by an administrator (``lantern portal user add NAME --role …
--oidc-subject ISSUER|SUB``); the identity provider only proves who is signing in. State, nonce
and PKCE verifier live on the server-side pre-sign-in session; the ID token's signature, issuer,
audience, expiry and nonce are checked with joserfc before the session id is rotated.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from lantern.errors import ConfigError
from lantern.portal import audit_db, sessions
from lantern.portal.deps import ClosingRoute, Ctx, client_address, context, with_session
from lantern.portal.models import User, WebSession
from lantern.portal.settings import PortalSettings

SCOPE = "openid email profile"


class Provider:
    """The identity provider's metadata and keys, fetched once and kept."""

    def __init__(
        self, settings: PortalSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.transport = transport
        self._meta: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def http(self) -> httpx.Client:
        return httpx.Client(transport=self.transport, timeout=10)

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            url = self.settings.oidc_metadata_url
            if not url:
                raise ConfigError(
                    "portal settings", ["LANTERN_PORTAL_OIDC_METADATA_URL is not set"]
                )
            with self.http() as client:
                self._meta = client.get(url).raise_for_status().json()
        return self._meta

    @property
    def keys(self) -> KeySet:
        if self._keys is None:
            with self.http() as client:
                self._keys = KeySet.import_key_set(
                    client.get(self.meta["jwks_uri"]).raise_for_status().json()
                )
        return self._keys

    def client(self, redirect_uri: str):  # noqa: ANN201
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            transport=self.transport,
            timeout=10,
        )

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        client_id = self.settings.oidc_client_id
        if not client_id:  # the token's audience must be this portal, so it must be known
            raise ConfigError("portal settings", ["LANTERN_PORTAL_OIDC_CLIENT_ID is not set"])
        token = jwt.decode(id_token, self.keys, algorithms=["RS256", "ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.meta["issuer"]},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
        ).validate(token.claims)
        return dict(token.claims)


def subject_id(claims: dict[str, Any]) -> str:
    """How an account is linked to an identity: ``<issuer>|<subject>``."""
    return f"{claims['iss']}|{claims['sub']}"


def install(app: FastAPI, settings: PortalSettings) -> None:
    app.state.oidc = Provider(settings, getattr(app.state, "oidc_transport", None))
    app.include_router(router)


router = APIRouter(include_in_schema=False, route_class=ClosingRoute)


def _redirect_uri(request: Request) -> str:
    return request.app.state.settings.link("/auth/oidc/callback")


@router.get("/auth/oidc/login")
def oidc_login(request: Request, ctx: Ctx = Depends(with_session)) -> Response:
    provider: Provider = request.app.state.oidc
    assert ctx.web is not None
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    ctx.db.execute(
        update(WebSession)
        .where(WebSession.id == ctx.web.id)
        .values(oidc_state=state, oidc_nonce=nonce, oidc_verifier=verifier)
    )
    ctx.db.commit()
    with provider.client(_redirect_uri(request)) as client:
        url, _ = client.create_authorization_url(
            provider.meta["authorization_endpoint"],
            state=state,
            code_verifier=verifier,
            nonce=nonce,
        )
    return RedirectResponse(url, status_code=303)


@router.get("/auth/oidc/callback", name="oidc_callback")
def oidc_callback(
    request: Request,
    code: str = Query("", max_length=2000),
    state: str = Query("", max_length=200),
    ctx: Ctx = Depends(context),
) -> Response:
    provider: Provider = request.app.state.oidc
    web = ctx.web
    if (
        web is None
        or not web.oidc_state
        or not secrets.compare_digest(web.oidc_state, state)
        or not code
    ):
        raise HTTPException(
            403, "sign-in could not be completed: start again from the sign-in page"
        )
    nonce, verifier = web.oidc_nonce or "", web.oidc_verifier or ""
    used = ctx.db.execute(  # single use: only the request that clears the state goes on
        update(WebSession)
        .where(WebSession.id == web.id, WebSession.oidc_state == web.oidc_state)
        .values(oidc_state=None, oidc_nonce=None, oidc_verifier=None)
    )
    ctx.db.commit()
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise HTTPException(
            403, "sign-in could not be completed: start again from the sign-in page"
        )
    try:
        with provider.client(_redirect_uri(request)) as client:
            token = client.fetch_token(
                provider.meta["token_endpoint"], code=code, code_verifier=verifier
            )
        claims = provider.verify_id_token(token["id_token"], nonce)
    except (JoseError, KeyError, ValueError, httpx.HTTPError) as exc:
        audit_db.record(
            ctx.db,
            "auth.failed",
            client=client_address(request),
            method="oidc",
            reason=type(exc).__name__,
        )
        raise HTTPException(403, "the identity provider's answer could not be verified") from exc
    subject = subject_id(claims)
    user = ctx.db.scalar(select(User).where(User.oidc_subject == subject, User.active.is_(True)))
    if user is None:
        audit_db.record(
            ctx.db,
            "auth.failed",
            client=client_address(request),
            method="oidc",
            reason="no_account",
        )
        raise HTTPException(
            403, "no portal account is linked to this identity: ask an administrator"
        )
    started = sessions.rotate(ctx.db, web, user)
    audit_db.record(
        ctx.db, "auth.signed_in", user=user.username, client=client_address(request), method="oidc"
    )
    request.state.new_session_token = started.token
    return RedirectResponse("/dashboard", status_code=303)
