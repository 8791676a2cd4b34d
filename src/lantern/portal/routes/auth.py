"""Sign-in and sign-out pages (password); every outcome is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from lantern.portal import accounts, audit_db, sessions
from lantern.portal.deps import (
    ClosingRoute,
    Ctx,
    client_address,
    context,
    require_csrf,
    with_session,
)

router = APIRouter(include_in_schema=False, route_class=ClosingRoute)
FAILED = "Sign-in failed: check your user name and password, or ask an administrator to reset it."
MESSAGES = {
    "bad_credentials": FAILED,
    "locked": FAILED,
    "rate_limited": "Too many sign-in attempts from your network: wait a minute and try again.",
}


def render(request: Request, name: str, ctx: Ctx, status: int = 200, **data: object) -> Response:
    data.setdefault("user", ctx.user)
    data.setdefault("csrf_token", ctx.csrf_token)
    data.setdefault("oidc", bool(ctx.settings.oidc_metadata_url))
    return request.app.state.templates.TemplateResponse(request, name, data, status_code=status)


@router.get("/")
def home(ctx: Ctx = Depends(context)) -> Response:
    return RedirectResponse("/dashboard" if ctx.user else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request, ctx: Ctx = Depends(with_session)) -> Response:
    if ctx.user is not None:
        return RedirectResponse("/dashboard", status_code=303)
    return render(request, "login.html", ctx)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    ctx: Ctx = Depends(context),
) -> Response:
    require_csrf(ctx, csrf_token)
    result = accounts.authenticate(
        ctx.db,
        username=username,
        password=password,
        client=client_address(request),
        settings=ctx.settings,
    )
    if result.user is None:
        request.state.audited = True  # authenticate() wrote auth.failed / auth.rate_limited
        status = 429 if result.reason == "rate_limited" else 401
        return render(request, "login.html", ctx, status=status, error=MESSAGES[result.reason])
    started = sessions.rotate(ctx.db, ctx.web, result.user)
    ctx.db.commit()
    request.state.new_session_token = started.token
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    ctx: Ctx = Depends(context),
) -> Response:
    require_csrf(ctx, csrf_token)
    if ctx.web is not None:
        if ctx.user is not None:
            audit_db.record(ctx.db, "auth.signed_out", user=ctx.user.username)
        sessions.end(ctx.db, ctx.web)
    request.state.clear_session = True
    return RedirectResponse("/login", status_code=303)
