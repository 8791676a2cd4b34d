"""Property-based API testing from the portal's OpenAPI schema (schemathesis), on both backends.

Each operation is called with generated data as an administrator (and the household operations
as a hub worker), with the session cookie and CSRF header set: no server errors, and every
response must match the schema (status codes, content types, bodies, headers).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lantern.portal.sessions import COOKIE_NAME

from .conftest import BACKENDS, UNLIMITED, make_portal

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_portal(request, tmp_path_factory):
    """A portal of its own: generated requests create users and change scopes."""
    portal = make_portal(
        request.param,
        "portal_fuzz",
        tmp_path_factory.mktemp("fuzz"),
        request,
        **UNLIMITED,
    )
    creds = {}
    for name in ("admin", "hub"):
        client = portal.sign_in(name)
        creds[name] = (
            {COOKIE_NAME: client.cookies.get(COOKIE_NAME)},
            {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]},
        )
    return portal, creds


def exercise(operation, cookies: dict, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case):
        case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)

    run()


def test_api_conforms_to_its_schema(fuzz_portal):
    portal, creds = fuzz_portal
    schema = schemathesis.openapi.from_asgi("/openapi.json", portal.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        who = "hub" if operation.path.startswith("/api/households") else "admin"
        try:
            exercise(operation, *creds[who])
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc
