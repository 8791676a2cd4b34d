"""An in-process OpenID Connect provider for tests (an httpx transport handler).

It serves discovery, JWKS, an authorisation endpoint that consents at once for a chosen subject,
and a token endpoint that checks the client secret and the PKCE verifier before issuing an
RS256-signed ID token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ISSUER = "https://idp.test"
CLIENT_ID = "lantern-portal"
CLIENT_SECRET = "test-client-secret"


class FakeIdentityProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.signing_key = self.key  # tests may swap in a key the JWKS does not hold
        self.subject = "alice"
        self.nonce_override: str | None = None
        self.codes: dict[str, dict] = {}
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        if path == "/authorize":
            q = dict(request.url.params)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "redirect": q["redirect_uri"],
                "sub": self.subject,
            }
            target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
            return httpx.Response(302, headers={"location": target})
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            grant = self.codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("client_id") != CLIENT_ID
            ):
                return httpx.Response(400, json={"error": "invalid_grant"})
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return httpx.Response(
                    400, json={"error": "invalid_grant", "error_description": "PKCE"}
                )
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "aud": CLIENT_ID,
                "sub": grant["sub"],
                "iat": now,
                "exp": now + 300,
                "nonce": self.nonce_override or grant["nonce"],
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.signing_key)
            return httpx.Response(
                200,
                json={
                    "access_token": "at",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                },
            )
        return httpx.Response(404)

    def authorize(self, url: str) -> str:
        """Follow the portal's redirect to the provider; return the provider's redirect back."""
        with httpx.Client(transport=self.transport) as client:
            response = client.get(url)
        assert response.status_code == 302
        back = urlparse(response.headers["location"])
        return f"{back.path}?{back.query}"
